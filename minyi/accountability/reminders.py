"""Reminders the SLA sweep sends besides the escalation ladder: 催签 and 回访超期.

- **催签** (claim reminder): an appeal dispatched (交办) to a department and still 待签收
  after its claim deadline (``Appeal.claim_due_at``, set at dispatch from
  ``settings.MINYI_SLA["claim"]``, default 1 working day). The department's handlers
  hear of it — they are the ones who may fire ``claim`` (``workflow.policy``).
- **回访超期** (callback overdue): a bad rating's rectification was answered but the
  callback (``Rectification.callback_due_at``, ``callback_days`` working days later) has
  not been made. Operators, who record callbacks, and supervisors, who oversee bad
  ratings, hear of it.

``send_due_reminders`` is the named action. Each reminder is one ``Reminder`` row,
unique per appeal, kind and deadline and inserted with ``INSERT … SELECT … ON CONFLICT
DO NOTHING RETURNING``: only the rows actually inserted get an audit row on the
appeal's timeline and a place in the notices, so a second sweep (or a concurrent one)
changes nothing. A new deadline (redispatch, a rejected return, a new rectification
round) earns a new reminder. ``addressed_to(user)`` lists the rows a user was sent (the
desks show them). Notices are one digest per department and kind, sent
after commit, like the escalation ladder's; their text is gettext, written in the site's
language (``core.notify.notice_language``) whatever language the caller runs in.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from minyi.accountability.models import Rectification, Reminder
from minyi.appeals.models import Appeal
from minyi.appeals.queries import visible_to
from minyi.core.notify import Notice, notice_language
from minyi.core.roles import roles_of, sees_all
from minyi.directory.models import Department, StaffProfile
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role
from minyi.workflow.services import queue_notices, users_in_role
from minyi.workflow.sweep import SYSTEM_LABEL

CLAIM_EVENT = "claim_reminder"  # audit events only (not machine events: replay ignores them)
CALLBACK_EVENT = "callback_overdue"
# Who hears of an overdue callback: the roles that record callbacks and oversee bad ratings.
CALLBACK_AUDIENCE = (Role.OPERATOR, Role.SUPERVISOR)
LISTED = 20  # appeal numbers written into a digest's body
# (label, body) of each digest; translated when the notice is written.
CLAIM_TEXT = (gettext_noop("催签"), gettext_noop("您单位有 %(n)d 件已交办的诉求超过签收时限仍未签收，请尽快签收办理。"))
CALLBACK_TEXT = (gettext_noop("回访超期"), gettext_noop("有 %(n)d 件差评整改已答复，但回访已超过时限，请尽快回访诉求人。"))


@dataclass
class Reminded:
    """What one run reminded of: appeal ids per department, per kind."""

    claim: dict[int | None, list[int]] = field(default_factory=dict)
    callback: dict[int | None, list[int]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "claim_reminder": sum(len(ids) for ids in self.claim.values()),
            "callback_overdue": sum(len(ids) for ids in self.callback.values()),
        }


def _claim_candidates(now: dt.datetime) -> QuerySet[Appeal]:
    done = Reminder.objects.filter(appeal=OuterRef("pk"), kind=Reminder.Kind.CLAIM, due_at=OuterRef("claim_due_at"))
    return Appeal.objects.filter(
        Q(status=State.DISPATCHED.value, claim_due_at__lt=now, department__isnull=False) & ~Exists(done)
    )


def _callback_candidates(now: dt.datetime) -> QuerySet[Rectification]:
    done = Reminder.objects.filter(
        appeal=OuterRef("appeal_id"), kind=Reminder.Kind.CALLBACK, due_at=OuterRef("callback_due_at")
    )
    return Rectification.objects.filter(
        Q(called_back_at__isnull=True, callback_due_at__lt=now, outcome=Rectification.Outcome.OPEN) & ~Exists(done)
    )


def pending_counts(now: dt.datetime | None = None) -> dict[str, int]:
    """What ``send_due_reminders(now)`` would send, without sending it (``minyi sla sweep --dry-run``)."""
    now = now or timezone.now()
    return {"claim_reminder": _claim_candidates(now).count(), "callback_overdue": _callback_candidates(now).count()}


def _insert(kind: str, source: str, columns: str, inner: QuerySet[Any], now: dt.datetime) -> list[tuple[int, int | None]]:
    """INSERT a reminder for each of ``inner``'s rows not reminded yet; return (appeal, department) of the new ones.

    ``columns`` selects (appeal, kind placeholder, deadline, department, rectification) from ``source``.
    """
    qn = connection.ops.quote_name
    inner_sql, inner_params = inner.order_by().values("id").query.sql_with_params()
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"INSERT INTO {qn(Reminder._meta.db_table)} (appeal_id, kind, due_at, department_id, rectification_id, sent_at) "  # noqa: S608
        f"SELECT {columns}, %s FROM {qn(source)} WHERE {qn('id')} IN ({inner_sql}) "
        "ON CONFLICT DO NOTHING RETURNING appeal_id, department_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, at, *inner_params])
        return sorted((int(r[0]), r[1]) for r in cursor.fetchall())


def _audit(rows: list[tuple[int, int | None]], event: str, reason: str, now: dt.datetime) -> None:
    status = dict(Appeal.objects.filter(pk__in=[a for a, _ in rows]).values_list("id", "status"))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                appeal_id=appeal_id,
                at=now,
                actor_id=None,
                actor_label=SYSTEM_LABEL,
                event=event,
                from_state=status[appeal_id],
                to_state=status[appeal_id],
                reason=reason,
                payload={"by": "sla_sweep"},
            )
            for appeal_id, _ in rows
        ],
        batch_size=2000,
    )


def _by_department(rows: list[tuple[int, int | None]]) -> dict[int | None, list[int]]:
    result: dict[int | None, list[int]] = {}
    for appeal_id, dept in rows:
        result.setdefault(dept, []).append(appeal_id)
    return result


def department_handler_ids(department_id: int | None) -> tuple[int, ...]:
    """Active users with the handler role whose staff profile is in this department."""
    if department_id is None:
        return ()
    return tuple(
        StaffProfile.objects.filter(
            department_id=department_id, user__is_active=True, user__groups__name=Role.HANDLER.value
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def _digest(kind: str, text: tuple[str, str], dept_name: str, ids: list[int], numbers: dict[int, str], users: tuple[int, ...]) -> Notice:
    label, body = text
    listed = "、".join(numbers[i] for i in ids[:LISTED])
    with notice_language():
        if len(ids) > LISTED:
            listed = gettext("%(numbers)s等") % {"numbers": listed}
        subject = gettext("【%(label)s】%(department)s：%(n)d 件诉求") % {"label": gettext(label), "department": dept_name, "n": len(ids)}
        body = gettext(body) % {"n": len(ids)} + gettext("诉求编号：%(numbers)s") % {"numbers": listed}
    return Notice(
        kind=kind,
        subject=subject,
        body=body,
        user_ids=users,
        appeal_number=numbers[ids[0]] if len(ids) == 1 else "",
        extra={"appeal_ids": ",".join(str(i) for i in ids[:50])},
    )


def send_due_reminders(now: dt.datetime | None = None) -> Reminded:
    """催签 every appeal past its claim deadline and 回访超期 every overdue callback, once each.

    One transaction (a savepoint inside the sweep's), one audit row per reminded appeal,
    digests to the responsible people after commit. Idempotent for a given ``now``.
    """
    now = now or timezone.now()
    result = Reminded()
    with transaction.atomic():
        appeal_table = Appeal._meta.db_table
        claim_rows = _insert(
            Reminder.Kind.CLAIM.value,
            appeal_table,
            "id, %s, claim_due_at, department_id, NULL",
            _claim_candidates(now),
            now,
        )
        callback_rows = _insert(
            Reminder.Kind.CALLBACK.value,
            Rectification._meta.db_table,
            "appeal_id, %s, callback_due_at, department_id, id",
            _callback_candidates(now),
            now,
        )
        if not claim_rows and not callback_rows:
            return result
        _audit(claim_rows, CLAIM_EVENT, "已超过签收时限仍未签收，系统自动催签", now)
        _audit(callback_rows, CALLBACK_EVENT, "差评整改已答复，回访已超过时限，系统自动提醒", now)
        result.claim = _by_department(claim_rows)
        result.callback = _by_department(callback_rows)
        numbers = dict(Appeal.objects.filter(pk__in=[a for a, _ in claim_rows + callback_rows]).values_list("id", "number"))
        names = dict(Department.objects.values_list("pk", "name"))
        notices: list[Notice] = []
        for dept, ids in result.claim.items():
            notices.append(
                _digest("claim_reminder:department", CLAIM_TEXT, names.get(dept, "—") if dept else "—", ids, numbers, department_handler_ids(dept))
            )
        if result.callback:
            audience = tuple(sorted({u for role in CALLBACK_AUDIENCE for u in users_in_role(role)}))
            for dept, ids in result.callback.items():
                notices.append(_digest("callback_overdue:central", CALLBACK_TEXT, names.get(dept, "—") if dept else "—", ids, numbers, audience))
        queue_notices(notices)
    return result


def addressed_to(user: Any) -> QuerySet[Reminder]:
    """The reminders this user was sent, newest first, for appeals they may still see.

    催签 goes to the handlers of the reminded department itself (not of its sub-units),
    回访超期 to operators and supervisors — the same people ``send_due_reminders`` notifies.
    """
    roles = roles_of(user)
    staff = getattr(user, "staff", None)
    kinds: list[Q] = []
    if Role.HANDLER in roles and staff is not None and staff.department_id is not None:
        kinds.append(Q(kind=Reminder.Kind.CLAIM, department_id=staff.department_id))
    if roles & set(CALLBACK_AUDIENCE):
        kinds.append(Q(kind=Reminder.Kind.CALLBACK))
    if not kinds:
        return Reminder.objects.none()
    rows = Reminder.objects.filter(functools.reduce(operator.or_, kinds))
    if not sees_all(user):  # a handler's appeal may have been redispatched since (no semi-join over every appeal otherwise)
        rows = rows.filter(appeal__in=visible_to(user))
    return rows.select_related("appeal", "department").order_by("-sent_at", "-id")


def is_addressed(user: Any) -> bool:
    """Whether the user's role receives reminders at all (the desks show the list only then)."""
    roles = roles_of(user)
    return Role.HANDLER in roles or bool(roles & set(CALLBACK_AUDIENCE))
