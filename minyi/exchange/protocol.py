"""The wire protocol minyi ↔ minyi (docs/exchange.md): event kinds, signing and verification.

Every request carries::

    X-Minyi-Peer: <the sender's name at the receiver>
    X-Minyi-Timestamp: <unix seconds>
    X-Minyi-Signature: hmac-sha256=<hex>   (or hmac-sm3=<hex>)

where the MAC covers ``METHOD \\n PATH?QUERY \\n TIMESTAMP \\n BODY`` with the peer's key.
A receiver refuses a timestamp more than ``MAX_SKEW`` seconds away from its clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac

MAX_SKEW = 300
VERSION = "minyi-exchange/1"

# Upstream → downstream (the order and the upstream's verdicts).
ORDER = "order"  # 派单（新工单或退回后再派）
EXTENSION_APPROVED = "extension_approved"  # 延期批准
EXTENSION_DENIED = "extension_denied"  # 延期驳回
RETURN_APPROVED = "return_approved"  # 同意退单
RETURN_REFUSED = "return_refused"  # 驳回退单
RATED = "rated"  # 回访满意，办结
REOPENED = "reopened"  # 回访不满意，重办
# Downstream → upstream (the local handling).
CLAIMED = "claimed"  # 签收
PROGRESS = "progress"  # 办理过程
EXTENSION_REQUESTED = "extension_requested"  # 延期申请
RETURN_REQUESTED = "return_requested"  # 退单申请
REPLIED = "replied"  # 答复

DOWNWARD = frozenset({ORDER, EXTENSION_APPROVED, EXTENSION_DENIED, RETURN_APPROVED, RETURN_REFUSED, RATED, REOPENED})
UPWARD = frozenset({CLAIMED, PROGRESS, EXTENSION_REQUESTED, RETURN_REQUESTED, REPLIED})

KIND_LABELS = {
    ORDER: "派单",
    EXTENSION_APPROVED: "延期批准",
    EXTENSION_DENIED: "延期驳回",
    RETURN_APPROVED: "同意退单",
    RETURN_REFUSED: "驳回退单",
    RATED: "回访办结",
    REOPENED: "重办",
    CLAIMED: "签收",
    PROGRESS: "办理过程",
    EXTENSION_REQUESTED: "延期申请",
    RETURN_REQUESTED: "退单申请",
    REPLIED: "答复",
}


class SignatureError(Exception):
    """The request is not from the peer it names (or is too old): answered with 401."""


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n".encode() + body


def mac(algorithm: str, key: str, data: bytes) -> str:
    if algorithm == "hmac-sm3":
        h = chmac.HMAC(key.encode("utf-8"), hashes.SM3())
        h.update(data)
        return h.finalize().hex()
    if algorithm == "hmac-sha256":
        return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown signature algorithm {algorithm!r}")


def sign(algorithm: str, key: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    return f"{algorithm}={mac(algorithm, key, message(method, path, timestamp, body))}"


def verify(algorithm: str, key: str, method: str, path: str, timestamp: str, body: bytes, signature: str, *, now: float) -> None:
    """Raise SignatureError unless ``signature`` is the peer's MAC of this request, made recently."""
    if not key:
        raise SignatureError("no key configured for this peer")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError("bad timestamp") from None
    if abs(now - sent) > MAX_SKEW:
        raise SignatureError("stale timestamp")
    name, _, digest = signature.partition("=")
    if name != algorithm:
        raise SignatureError(f"expected {algorithm}")
    if not hmac.compare_digest(digest, mac(algorithm, key, message(method, path, timestamp, body))):
        raise SignatureError("bad signature")
