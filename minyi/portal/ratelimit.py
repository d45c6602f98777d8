"""A fixed-window limit per client address, kept in Django's cache.

The client is ``REMOTE_ADDR``: a forwarded-for header is whatever the client chose to
send, so it is believed only by the trusted-proxy middleware, which rewrites
``REMOTE_ADDR`` for requests that really come through our proxy.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from minyi.core.proxies import client_ip


def client_address(request: HttpRequest) -> str:
    """The real client (``minyi.core.proxies`` believes X-Forwarded-For only from trusted proxies), as a cache key."""
    return client_ip(request) or "unknown"


def hit(request: HttpRequest, bucket: str, *, limit: int, window_s: int) -> bool:
    """Count one request; False once ``limit`` is exceeded within the window."""
    window = int(time.time() // window_s)
    key = f"rl:{bucket}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=window_s + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window_s + 1)
        count = 1
    return count <= limit


def retry_after(window_s: int) -> int:
    """Seconds until the current window ends (at least one)."""
    return max(1, window_s - int(time.time()) % window_s)


def with_retry_after(response: HttpResponse, window_s: int) -> HttpResponse:
    response["Retry-After"] = str(retry_after(window_s))
    return response
