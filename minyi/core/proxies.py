"""The real client address behind the intranet reverse proxy (``MINYI_TRUSTED_PROXIES``).

nginx appends the address it accepted the connection from to ``X-Forwarded-For``; anything to the
left of that was written by the client and proves nothing. So, and only when the direct peer is a
trusted proxy, the list is walked from the right, skipping trusted proxies, and the first address
that is not one becomes ``REMOTE_ADDR``. Everything after this middleware (rate limits, django-axes,
the security log) reads ``REMOTE_ADDR`` only. ``X-Forwarded-Proto`` (Django's
``SECURE_PROXY_SSL_HEADER``) is likewise dropped unless a trusted proxy sent it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def trusted_networks() -> tuple[Network, ...]:
    # Read per request (cached by value) so that tests overriding the setting take effect.
    return _parse_networks(tuple(settings.MINYI_TRUSTED_PROXIES))


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # "::ffff:10.0.0.5" is how a dual-stack socket reports an IPv4 peer.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None, networks: Iterable[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in networks)


def real_client(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then the first untrusted hop from the right."""
    if not _is_trusted(_address(peer), networks):
        return peer
    client = peer
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        address = _address(hop)
        if address is None:
            break  # garbage a trusted proxy would never write: the hop to its right is the last one we can vouch for
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        networks = trusted_networks()
        peer = str(request.META.get("REMOTE_ADDR", ""))
        if _is_trusted(_address(peer), networks):
            request.META["REMOTE_ADDR"] = real_client(peer, str(request.META.get("HTTP_X_FORWARDED_FOR", "")), networks)
        else:
            # A client (or an unlisted proxy) may not claim HTTPS or another address for itself.
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The client address as resolved above; django-axes calls this (``AXES_CLIENT_IP_CALLABLE``)."""
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None
