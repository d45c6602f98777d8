from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from minyi.core.roles import roles_of
from minyi.workflow.calendar import UNKNOWN_YEARS
from minyi.workflow.policy import ROLE_LABELS, Role


def minyi_context(request: HttpRequest) -> dict[str, Any]:
    roles = roles_of(request.user)
    return {
        "user_roles": [ROLE_LABELS[r] for r in roles],
        "is_admin": Role.ADMIN in roles,
        "calendar_unknown_years": sorted(UNKNOWN_YEARS) if Role.ADMIN in roles else [],
    }
