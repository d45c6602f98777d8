"""API keys: creation (the secret is shown once, only its hash is kept), lookup, scopes, rate limits.

A key acts as its linked staff user, so the action layer's role and department checks
apply to integrations exactly as to people. The user gets the least role the scopes
need: 受理员 (to register) when the key writes appeals, 领导 for district statistics,
no role at all otherwise; what
it reads is narrowed further by ``minyi.api.access``. Rate limits count requests per key per
minute in Django's cache (per-process locmem by default; point CACHES at Redis to share).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from minyi.api.models import SCOPES, ApiKey
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


def find_key(raw: str) -> ApiKey | None:
    """The active key whose secret is ``raw``, compared in constant time."""
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or "_" not in raw[len(KEY_PREFIX) :]:
        return None
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
    key = ApiKey.objects.select_related("user", "user__staff").filter(prefix=prefix, active=True, user__is_active=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@dataclass(frozen=True)
class RateLimited(Exception):
    retry_after: int


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
