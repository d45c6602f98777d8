from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from minyi.core.roles import roles_of
from minyi.workflow.calendar import UNKNOWN_YEARS
from minyi.workflow.policy import ROLE_LABELS, Role

# Who sees 智能派单质量 (/triage/quality): the navigation link and the page (``minyi.triage.quality.QUALITY_ROLES``).
TRIAGE_QUALITY_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})

# Who sees the 建议提案 desk (/proposals/): the liaison office, the units handling them, overseers.
PROPOSALS_ROLES = frozenset({Role.LIAISON, Role.HANDLER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})

# Navigation links to /points/ (扫码点位) and /exchange/reconciliation/ (对接核对), shown to the roles those pages admit.
POINTS_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
EXCHANGE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def minyi_context(request: HttpRequest) -> dict[str, Any]:
    roles = roles_of(request.user)
    return {
        "user_roles": [ROLE_LABELS[r] for r in roles],
        "is_admin": Role.ADMIN in roles,
        "is_auditor": Role.AUDITOR in roles,
        "sees_triage_quality": bool(roles & TRIAGE_QUALITY_ROLES),
        "sees_proposals": bool(roles & PROPOSALS_ROLES),
        "sees_points": bool(roles & POINTS_ROLES),
        "sees_exchange": bool(roles & EXCHANGE_ROLES),
        "calendar_unknown_years": sorted(UNKNOWN_YEARS) if Role.ADMIN in roles else [],
    }
