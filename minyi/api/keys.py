"""API keys: creation (the secret is shown once, only its hash is kept), lookup, scopes, rate limits.

A key acts as its linked staff user, so the action layer's role and department checks
apply to integrations exactly as to people. The user gets the least role the scopes
need: 受理员 (to register) when the key writes appeals, 领导 for district statistics,
no role at all otherwise; what
it reads is narrowed further by ``minyi.api.access``. Rate limits count requests per key per
minute in Django's cache (per-process locmem by default; point CACHES at Redis to share).

Wrong keys count per client address per minute, in the same cache: the first of a minute is
written to the security log, and past ``MINYI_API_BAD_KEYS_PER_MINUTE`` the address gets 429
for every key it sends until the minute is over, so guessing stays slow.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from minyi.api.models import SCOPES, ApiKey
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.core.proxies import client_ip
from minyi.directory.services import create_staff
from minyi.workflow.policy import Role

KEY_PREFIX = "mk_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_scopes(text: str) -> list[str]:
    scopes = sorted({s for s in text.replace(",", " ").split() if s})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"未知的权限范围：{', '.join(unknown)}；可选：{', '.join(SCOPES)}")
    if not scopes:
        raise ValueError("至少需要一个权限范围")
    return scopes


# Scopes that register appeals, which only a role allowed to 登记 may do.
WRITE_SCOPES = frozenset({"appeals:write", "open311"})
# Scopes an operator must think twice about: the CLI warns.
WIDE_SCOPES = frozenset({"pii:read", "appeals:read-all"})


def least_role(scopes: list[str]) -> tuple[Role | None, str | None]:
    """The (role, department code) a new key's service user needs for ``scopes`` and no more."""
    if WRITE_SCOPES & set(scopes):
        return Role.OPERATOR, "sjj-12345"
    if {"stats:read", "appeals:read-all"} & set(scopes):  # sees the district, acts on nothing, as a leader
        return Role.LEADER, None
    return None, None


@transaction.atomic
def create_api_key(
    name: str,
    scopes: list[str],
    *,
    role: Role | None = None,
    department_code: str | None = None,
    rate_limit: int = 120,
    channel_code: str = "",
) -> tuple[ApiKey, str]:
    """Create a key and its service user. Returns (key, secret); the secret is never stored.

    Without ``role`` the service user gets ``least_role(scopes)`` (and its department,
    unless one is given).
    """
    scopes = parse_scopes(" ".join(scopes))
    if role is None:
        role, default_department = least_role(scopes)
        department_code = department_code or default_department
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    username = f"api-{slugify(name) or prefix}"[:150]
    user = create_staff(username, role, department_code, password=None, full_name=f"接口：{name}")
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_key(raw), scopes=" ".join(scopes),
        user=user, rate_limit=rate_limit, channel_code=channel_code,
    )
    return key, raw


# Keys read on every request are kept a few seconds per process: an integration's burst of intakes
# costs one key lookup (and one roles lookup), not one each. Revoking or changing a key bumps a version
# in the shared cache (Redis in production), which every process checks per request: a revoked key
# stops working at once everywhere; without a shared cache, within KEY_CACHE_S in other processes.
KEY_CACHE_S = 10.0
_VERSION = "minyi:api-keys-version"
_keys_lock = threading.Lock()
_keys: dict[str, tuple[float, int, ApiKey]] = {}


def forget_keys(**kwargs: Any) -> None:
    with _keys_lock:
        _keys.clear()
    cache.set(_VERSION, int(time.time() * 1000), timeout=None)


post_save.connect(forget_keys, sender=ApiKey, dispatch_uid="minyi.api.keys.forget")


def _active_key(prefix: str) -> ApiKey | None:
    now = time.monotonic()
    version = int(cache.get(_VERSION) or 0)
    with _keys_lock:
        hit = _keys.get(prefix)
    if hit is not None and now - hit[0] < KEY_CACHE_S and hit[1] == version:
        return hit[2]
    key = ApiKey.objects.select_related("user", "user__staff", "user__staff__department").filter(prefix=prefix, active=True, user__is_active=True).first()
    if key is not None:
        with _keys_lock:
            _keys[prefix] = (now, version, key)
    return key


def find_key(raw: str) -> ApiKey | None:
    """The active key whose secret is ``raw``, compared in constant time."""
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or "_" not in raw[len(KEY_PREFIX) :]:
        return None
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
    key = _active_key(prefix)
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now  # the cached copy too: one write a minute, not one a request
    return key


@dataclass(frozen=True)
class RateLimited(Exception):
    retry_after: int
    bad_keys: bool = False  # the client's address sent too many wrong keys (not: one key sent too many requests)


def check_rate(key: ApiKey) -> None:
    """Count one request for ``key`` in the current minute; raise RateLimited past its limit."""
    window = int(time.time() // 60)
    name = f"minyi:api-rate:{key.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=120)
        count = 1
    if count > key.rate_limit:
        raise RateLimited(retry_after=60 - int(time.time()) % 60)


# ---- wrong keys ----------------------------------------------------------------------

BAD_KEY_WINDOW_S = 60
_PREFIX_SHAPE = re.compile(r"[0-9a-f]{1,16}")


def bad_keys_per_minute() -> int:
    return int(getattr(settings, "MINYI_API_BAD_KEYS_PER_MINUTE", 20))


def _address(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _window() -> int:
    return int(time.time() // BAD_KEY_WINDOW_S)


def _retry_after() -> int:
    return max(1, BAD_KEY_WINDOW_S - int(time.time()) % BAD_KEY_WINDOW_S)


def refuse_blocked_address(request: HttpRequest) -> None:
    """429 before any key is looked up once this address has sent too many wrong keys this minute.

    A right key is refused too: otherwise a guesser would tell a hit from a miss by the 429.
    """
    count = cache.get(f"minyi:api-bad-keys:{_address(request)}:{_window()}") or 0
    if count >= bad_keys_per_minute():
        raise RateLimited(retry_after=_retry_after(), bad_keys=True)


def note_bad_key(request: HttpRequest, raw: str) -> None:
    """Count a wrong key for the client's address; log the first of each minute; 429 past the limit."""
    address, window = _address(request), _window()
    name = f"minyi:api-bad-keys:{address}:{window}"
    cache.add(name, 0, timeout=BAD_KEY_WINDOW_S * 2)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=BAD_KEY_WINDOW_S * 2)
        count = 1
    if cache.add(f"minyi:api-bad-key-logged:{address}:{window}", 1, timeout=BAD_KEY_WINDOW_S * 2):
        # Never the key itself (a mistyped real key is still a secret); its prefix names the key it aimed at.
        prefix = raw.strip()[len(KEY_PREFIX) :].split("_", 1)[0] if raw.strip().startswith(KEY_PREFIX) else ""
        record_security_event(
            SecurityKind.DENIED,
            request=request,
            target="X-API-Key",
            outcome="denied",
            details={
                "reason": "invalid_api_key",
                "prefix": prefix if _PREFIX_SHAPE.fullmatch(prefix) else "",
                "endpoint": f"{request.method} {request.path}"[:200],
                "limit_per_minute": bad_keys_per_minute(),
            },
        )
    if count > bad_keys_per_minute():
        raise RateLimited(retry_after=_retry_after(), bad_keys=True)
