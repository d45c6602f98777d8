"""Signing and the signed endpoints."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from minyi.exchange import protocol
from minyi.exchange.models import InboundEvent, Link, Peer
from minyi.exchange.tests.conftest import KEY, order_event


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sm3"])
def test_signature_round_trip_and_tampering(algorithm: str) -> None:
    now = time.time()
    ts = str(int(now))
    body = protocol.dumps({"events": []})
    signature = protocol.sign(algorithm, KEY, "POST", "/exchange/v1/events", ts, body)
    assert signature.startswith(algorithm + "=")
    protocol.verify(algorithm, KEY, "POST", "/exchange/v1/events", ts, body, signature, now=now)
    with pytest.raises(protocol.SignatureError):
        protocol.verify(algorithm, KEY, "POST", "/exchange/v1/events", ts, body + b" ", signature, now=now)
    with pytest.raises(protocol.SignatureError):
        protocol.verify(algorithm, "another-key", "POST", "/exchange/v1/events", ts, body, signature, now=now)
    with pytest.raises(protocol.SignatureError):
        protocol.verify(algorithm, KEY, "POST", "/exchange/v1/ack", ts, body, signature, now=now)
    with pytest.raises(protocol.SignatureError):  # replayed ten minutes later
        protocol.verify(algorithm, KEY, "POST", "/exchange/v1/events", ts, body, signature, now=now + 600)


def test_sm3_and_sha256_differ() -> None:
    assert protocol.mac("hmac-sm3", KEY, b"x") != protocol.mac("hmac-sha256", KEY, b"x")
    with pytest.raises(protocol.SignatureError):
        protocol.verify("hmac-sm3", KEY, "GET", "/", "1", b"", "hmac-sha256=" + protocol.mac("hmac-sha256", KEY, b""), now=1)


def _post(client: Client, peer_code: str, key: str, payload: object, algorithm: str = "hmac-sha256") -> object:
    body = protocol.dumps(payload)
    ts = str(int(time.time()))
    return client.post(
        "/exchange/v1/events",
        data=body,
        content_type="application/json",
        headers={
            "X-Minyi-Peer": peer_code,
            "X-Minyi-Timestamp": ts,
            "X-Minyi-Signature": protocol.sign(algorithm, key, "POST", "/exchange/v1/events", ts, body),
        },
    )


def test_signed_push_is_applied_once_and_a_forged_one_refused(upstream: Peer) -> None:
    client = Client()
    forged = _post(client, "city", "not-the-key", {"events": [order_event()]})
    assert forged.status_code == 401  # type: ignore[attr-defined]
    unknown = _post(client, "minghu", KEY, {"events": [order_event()]})
    assert unknown.status_code == 401  # type: ignore[attr-defined]
    assert not InboundEvent.objects.exists() and not Link.objects.exists()
    for _ in range(2):  # a retry after a lost answer
        answer = _post(client, "city", KEY, {"events": [order_event()]})
        assert answer.status_code == 200  # type: ignore[attr-defined]
        assert answer.json() == {"accepted": ["e-1"]}  # type: ignore[attr-defined]
    assert InboundEvent.objects.count() == 1
    assert Link.objects.get().appeal.department.code == "hbj"


def test_sm3_peer(upstream: Peer) -> None:
    Peer.objects.filter(pk=upstream.pk).update(algorithm="hmac-sm3")
    client = Client()
    assert _post(client, "city", KEY, {"events": []}).status_code == 401  # type: ignore[attr-defined]
    assert _post(client, "city", KEY, {"events": []}, algorithm="hmac-sm3").status_code == 200  # type: ignore[attr-defined]
