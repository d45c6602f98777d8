"""Roles of a logged-in user, read from Django groups named by role code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from minyi.workflow.policy import SEES_ALL, SEES_PERSONAL_DATA, Role

_CACHE_ATTR = "_minyi_roles"


def roles_of(user: AbstractBaseUser | AnonymousUser | Any) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    codes = set(getattr(user, "groups").values_list("name", flat=True))  # noqa: B009 - AbstractBaseUser has no groups in the stubs
    # Roles come from groups only: ``is_superuser`` grants none (三员分立 — no account holds every power).
    result = frozenset(r for r in Role if r.value in codes)
    setattr(user, _CACHE_ATTR, result)
    return result


def department_ids_of(user: Any) -> list[int]:
    """The actor's department and the units below it; empty if they belong to none."""
    staff = getattr(user, "staff", None) if getattr(user, "is_authenticated", False) else None
    if staff is None or staff.department_id is None:
        return []
    cached = getattr(user, "_minyi_dept_ids", None)
    if cached is None:
        cached = staff.department.subtree_ids()
        user._minyi_dept_ids = cached
    return list(cached)


def sees_all(user: Any) -> bool:
    return bool(roles_of(user) & SEES_ALL)


def sees_personal_data(user: Any) -> bool:
    return bool(roles_of(user) & SEES_PERSONAL_DATA)


def may_reveal_pii(user: Any) -> bool:
    """May ask for an appeal's full phone and unmasked text (查看完整信息, audited each time).

    Operators, dispatchers, handlers and the system administrator; leaders, supervisors and the
    security and audit administrators never see personal data in full. Pages show it masked to
    everyone until the reveal (``minyi.core.pii``).
    """
    return bool(roles_of(user) & SEES_PERSONAL_DATA)
