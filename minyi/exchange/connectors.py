"""The connector interface and the minyi ↔ minyi connector (plain HTTPS + JSON, signed requests).

A connector moves events between this platform and one peer; it never touches the
database. ``services`` decides what to send and applies what arrives, exactly once.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from minyi.exchange import protocol

if TYPE_CHECKING:
    from minyi.exchange.models import Peer


class ConnectorError(Exception):
    """The peer could not be reached or refused the request; the caller retries later."""


@dataclass
class Batch:
    """Events from the peer after a cursor; ``cursor`` is what to acknowledge once they are applied."""

    events: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0
    more: bool = False


class Connector(Protocol):
    """What every upstream or downstream link offers (docs/exchange.md, “添加连接器”)."""

    def pull(self, cursor: int, *, limit: int = 500) -> Batch:
        """Orders, updates and verdicts the peer has for us after ``cursor``."""

    def ack(self, batch: Batch) -> None:
        """Tell the peer that these events (none beyond ``batch.cursor``) are applied here: it stops offering them."""

    def push(self, events: Sequence[dict[str, Any]]) -> list[str]:
        """Send our events; returns the event ids the peer has taken (applied now or before)."""

    def states(self, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The peer's view of these orders (state, reply, rating), for reconciliation."""


class MinyiConnector:
    """Talks to another minyi's ``/exchange/v1/`` endpoints."""

    def __init__(self, peer: Peer, *, timeout: float = 30.0) -> None:
        self.peer = peer
        self.timeout = timeout

    def _request(self, method: str, path: str, payload: Any = None) -> Any:
        base = self.peer.base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConnectorError("接口地址须以 http:// 或 https:// 开头")
        body = protocol.dumps(payload) if payload is not None else b""
        timestamp = str(int(time.time()))
        full_path = urllib.parse.urlsplit(base).path.rstrip("/") + path
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": protocol.VERSION,
            "X-Minyi-Peer": self.peer.remote_code,
            "X-Minyi-Timestamp": timestamp,
            "X-Minyi-Signature": protocol.sign(self.peer.algorithm, self.peer.key, method, full_path, timestamp, body),
        }
        request = urllib.request.Request(base + path, data=body if method == "POST" else None, method=method, headers=headers)  # noqa: S310 - scheme checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                import json

                return json.loads(response.read().decode("utf-8") or "null")
        except urllib.error.HTTPError as exc:
            raise ConnectorError(f"HTTP {exc.code}: {exc.read()[:300].decode('utf-8', 'replace')}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ConnectorError(f"{exc.__class__.__name__}: {exc}"[:500]) from exc

    def pull(self, cursor: int, *, limit: int = 500) -> Batch:
        data = self._request("GET", f"/exchange/v1/feed?after={int(cursor)}&limit={int(limit)}")
        return Batch(events=list(data.get("events", [])), cursor=int(data.get("cursor", cursor)), more=bool(data.get("more")))

    def ack(self, batch: Batch) -> None:
        self._request("POST", "/exchange/v1/ack", {"cursor": int(batch.cursor), "event_ids": [str(e["event_id"]) for e in batch.events]})

    def push(self, events: Sequence[dict[str, Any]]) -> list[str]:
        data = self._request("POST", "/exchange/v1/events", {"events": list(events)})
        return [str(e) for e in data.get("accepted", [])]

    def states(self, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        data = self._request("POST", "/exchange/v1/states", {"orders": list(order_ids)})
        return dict(data.get("orders", {}))


def connector_for(peer: Peer) -> Connector:
    if peer.kind == "minyi":
        return MinyiConnector(peer)
    raise ConnectorError(f"对接方“{peer.name}”是文件交换，请用 minyi exchange import-file / export-file")
