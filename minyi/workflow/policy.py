"""Who may fire which event: pure data, checked by the service layer on every action.

Department scoping is a second rule on top: events in ``DEPARTMENT_SCOPED`` are
allowed to a handler only on appeals of their own department (or a unit below it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from minyi.workflow.machine import Event


class Role(enum.StrEnum):
    OPERATOR = "operator"  # 受理员
    DISPATCHER = "dispatcher"  # 派单员
    HANDLER = "handler"  # 承办人
    SUPERVISOR = "supervisor"  # 督办员
    LEADER = "leader"  # 领导
    ADMIN = "admin"  # 系统管理员: reference data and the whole loop
    SECADMIN = "secadmin"  # 安全管理员: accounts, roles, lockouts, keys (三员分立)
    AUDITOR = "auditor"  # 审计管理员: reads the security log and nothing else
    LIAISON = "liaison"  # 人大政协联络员: runs the 建议提案 loop (minyi.proposals), on proposals only


ROLE_LABELS: Mapping[Role, str] = {
    Role.OPERATOR: "受理员",
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人",
    Role.SUPERVISOR: "督办员",
    Role.LEADER: "领导",
    Role.ADMIN: "系统管理员",
    Role.SECADMIN: "安全管理员",
    Role.AUDITOR: "审计管理员",
    Role.LIAISON: "人大政协联络员",
}

_E = Event
ALLOWED: Mapping[Role, frozenset[Event]] = {
    Role.OPERATOR: frozenset(
        {
            _E.REGISTER,
            _E.ACCEPT,
            _E.REJECT,
            _E.CLOSE_DIRECTLY,
            _E.APPROVE_REPLY,
            _E.REJECT_REPLY,
            _E.CLOSE,
            _E.REOPEN,
            _E.REFER_ARBITRATION,
        }
    ),
    Role.DISPATCHER: frozenset(
        {
            _E.REGISTER,
            _E.ACCEPT,
            _E.REJECT,
            _E.DISPATCH,
            _E.REDISPATCH,
            _E.MERGE,
            _E.APPROVE_EXTENSION,
            _E.DENY_EXTENSION,
            _E.APPROVE_REPLY,
            _E.REJECT_REPLY,
            _E.APPROVE_RETURN,
            _E.REJECT_RETURN,
            _E.UNMERGE,
            _E.URGE,
        }
    ),
    Role.HANDLER: frozenset({_E.CLAIM, _E.RETURN, _E.REQUEST_EXTENSION, _E.SUSPEND, _E.RESUME, _E.REPLY}),
    Role.SUPERVISOR: frozenset(
        {
            _E.URGE,
            _E.SUPERVISE,
            _E.APPROVE_EXTENSION,
            _E.DENY_EXTENSION,
            _E.REJECT_REPLY,
            _E.ARBITRATE_REOPEN,
            _E.ARBITRATE_CLOSE,
        }
    ),
    Role.LEADER: frozenset({_E.URGE, _E.SUPERVISE, _E.LIST_SUPERVISE}),
    Role.ADMIN: frozenset(Event),
    # Nothing of its own: minyi.proposals fires 交办, 审核答复函 and the satisfaction steps for the office,
    # and only on appeals that carry a proposal (its actions check), as the 12345 desk would on others.
    Role.LIAISON: frozenset(),
    # 三员分立: the security and audit admins touch no appeal.
    Role.SECADMIN: frozenset(),
    Role.AUDITOR: frozenset(),
}

# Events a handler fires on behalf of the department that holds the appeal.
DEPARTMENT_SCOPED = frozenset({_E.CLAIM, _E.RETURN, _E.REQUEST_EXTENSION, _E.SUSPEND, _E.RESUME, _E.REPLY})

# Who may raise an appeal's priority after intake (``workflow.services.raise_priority``; the system acts as admin).
RAISES_PRIORITY = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})

# Roles that see every appeal; the others see only their department's.
SEES_ALL = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})

# Roles that see contact phone numbers and personal data in full.
SEES_PERSONAL_DATA = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.ADMIN})


def may(
    roles: frozenset[Role],
    event: Event,
    *,
    own_department: bool,
) -> bool:
    """True if any of ``roles`` may fire ``event``.

    ``own_department`` says whether the appeal sits in the actor's department;
    it matters only for department-scoped events fired by a handler.
    """
    for role in roles:
        if event not in ALLOWED[role]:
            continue
        if role is Role.HANDLER and event in DEPARTMENT_SCOPED and not own_department:
            continue
        return True
    return False
