"""Finding 9: behind the reverse proxy each citizen has their own limit, and a forged X-Forwarded-For buys nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from minyi.core.proxies import TrustedProxyMiddleware, client_ip, real_client, trusted_networks
from minyi.portal import views as portal

PROXY = "10.0.0.5"
CITIZEN_A, CITIZEN_B = "203.0.113.7", "198.51.100.23"


@pytest.fixture(autouse=True)
def _proxies(settings: Any) -> None:
    settings.MINYI_TRUSTED_PROXIES = ["10.0.0.0/29", "2001:db8::/64"]
    cache.clear()


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        (CITIZEN_A, "1.2.3.4", CITIZEN_A),  # an untrusted peer's header is ignored
        (PROXY, CITIZEN_A, CITIZEN_A),
        (PROXY, f"6.6.6.6, {CITIZEN_A}", CITIZEN_A),  # the client's own entries (left) prove nothing
        (PROXY, f"{CITIZEN_A}, 10.0.0.2", CITIZEN_A),  # two proxies: skip the trusted hop
        (PROXY, "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all trusted: the leftmost
        (PROXY, "", PROXY),
        (PROXY, f"not-an-ip, {CITIZEN_A}", CITIZEN_A),
        (PROXY, "not-an-ip, 10.0.0.2", "10.0.0.2"),
        (PROXY, f"{CITIZEN_A}:51234", CITIZEN_A),
        (PROXY, "[2001:db8:1::9]:443", "2001:db8:1::9"),
        ("::ffff:10.0.0.5", CITIZEN_A, CITIZEN_A),  # a dual-stack socket's IPv4 peer
        ("2001:db8::1", CITIZEN_B, CITIZEN_B),
    ],
)
def test_real_client_walks_forwarded_for_from_the_right(peer: str, forwarded: str, client: str) -> None:
    assert real_client(peer, forwarded, trusted_networks()) == client


def run(rf: RequestFactory, peer: str, **headers: str) -> HttpRequest:
    request = rf.get("/", REMOTE_ADDR=peer, **headers)
    TrustedProxyMiddleware(lambda r: HttpResponse())(request)
    return request


def test_forwarded_proto_is_honoured_only_from_a_trusted_proxy(rf: RequestFactory) -> None:
    assert run(rf, PROXY, HTTP_X_FORWARDED_PROTO="https").is_secure()
    spoofed = run(rf, CITIZEN_A, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert not spoofed.is_secure() and spoofed.META["REMOTE_ADDR"] == CITIZEN_A


def test_no_trusted_proxies_means_no_forwarded_headers(rf: RequestFactory, settings: Any) -> None:
    settings.MINYI_TRUSTED_PROXIES = []
    request = run(rf, PROXY, HTTP_X_FORWARDED_FOR=CITIZEN_A, HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == PROXY and not request.is_secure()


def test_https_redirect_cannot_be_skipped_by_claiming_https(client: Client, settings: Any, district: None) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/portal/", REMOTE_ADDR=CITIZEN_A, HTTP_X_FORWARDED_PROTO="https").status_code == 301
    assert client.get("/portal/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").status_code == 200


def track(client: Client, peer: str, forwarded: str | None = None) -> int:
    headers = {"REMOTE_ADDR": peer, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    return client.post("/portal/track", {"number": "20260101-000001", "phone": "13900000000"}, **headers).status_code


def test_two_citizens_behind_the_proxy_have_separate_limits(client: Client, monkeypatch: Any, district: None) -> None:
    monkeypatch.setattr(portal, "TRACKS_PER_HOUR", 2)
    assert [track(client, PROXY, CITIZEN_A) for _ in range(3)] == [200, 200, 429]
    assert track(client, PROXY, CITIZEN_B) == 200


def test_forged_forwarded_for_does_not_escape_the_limit(client: Client, monkeypatch: Any, district: None) -> None:
    monkeypatch.setattr(portal, "TRACKS_PER_HOUR", 2)
    # Straight to the server, a new made-up address each time …
    assert [track(client, CITIZEN_A, f"192.0.2.{i}") for i in range(3)] == [200, 200, 429]
    # … or through the proxy, with made-up entries in front of the one nginx appended.
    assert [track(client, PROXY, f"192.0.2.{i}, {CITIZEN_B}") for i in range(3)] == [200, 200, 429]


def test_login_lockout_address_is_the_real_client(rf: RequestFactory, settings: Any) -> None:
    assert settings.AXES_CLIENT_IP_CALLABLE == "minyi.core.proxies.client_ip"
    assert client_ip(run(rf, PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CITIZEN_A}")) == CITIZEN_A
    assert client_ip(run(rf, CITIZEN_B, HTTP_X_FORWARDED_FOR="6.6.6.6")) == CITIZEN_B


def test_axes_counts_failed_logins_per_real_client(rf: RequestFactory) -> None:
    if not apps.is_installed("axes"):
        pytest.skip("django-axes joins INSTALLED_APPS with the accounts work (lockout)")
    from axes.helpers import get_client_ip_address

    assert get_client_ip_address(run(rf, PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CITIZEN_A}")) == CITIZEN_A
    assert get_client_ip_address(run(rf, CITIZEN_B, HTTP_X_FORWARDED_FOR="6.6.6.6")) == CITIZEN_B
