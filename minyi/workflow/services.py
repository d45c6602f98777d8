"""Workflow actions: the only code that changes an appeal's status.

Every action locks the appeal row, checks the actor's role and department, asks the
state machine for the transition, applies its effects, saves once, writes one audit
row, and sends notifications after commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from minyi.core.notify import Notice, deliver, notice_language
from minyi.core.pii import mask_text
from minyi.core.roles import department_ids_of, roles_of
from minyi.workflow import machine
from minyi.workflow.calendar import WorkingCalendar
from minyi.workflow.effects import IMPLEMENTATIONS, EffectInput, cap_claim_deadline, payload_of
from minyi.workflow.machine import EVENT_LABELS, Context, Event, State, TransitionError
from minyi.workflow.models import AuditEvent, CalendarOverride
from minyi.workflow.policy import RAISES_PRIORITY, Role, may
from minyi.workflow.sla import Clock, SlaRules, fixed_deadline

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal
    from minyi.directory.models import Category, Department


class ActionForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    roles: frozenset[Role]
    department_ids: tuple[int, ...]

    @classmethod
    def of(cls, user: Any) -> Actor:
        if isinstance(user, Actor):
            return user
        if user is None or not getattr(user, "is_authenticated", False):
            raise ActionForbidden("请先登录")
        name = user.get_full_name() or user.get_username()
        return cls(user.pk, name, roles_of(user), tuple(department_ids_of(user)))


@dataclass
class Step:
    """One applied transition, as the after-transition hooks see it (inside the action's transaction)."""

    appeal: Appeal
    transition: machine.Transition
    actor: Actor
    now: dt.datetime
    reason: str
    input: EffectInput
    notices: list[Notice] = field(default_factory=list)  # hooks add notices; sent after commit


# Hooks run after every transition, in the same transaction (e.g. accountability's records and
# the merge cascade). A hook that raises rolls the whole action back: they must be correct.
AFTER_TRANSITION: list[Callable[[Step], None]] = []
# Notes that join the action's own audit row (reason text, payload keys) before it is written, so an
# action still writes exactly one row: e.g. 答复质检 records that a reply was approved despite its
# warnings. They read, never write.
AUDIT_NOTES: list[Callable[[Appeal, machine.Transition], tuple[str, dict[str, Any]] | None]] = []

SYSTEM = Actor(None, "系统", frozenset({Role.ADMIN}), ())
CITIZEN = Actor(None, "群众自助", frozenset({Role.OPERATOR}), ())

_calendar_cache: tuple[float, WorkingCalendar] | None = None
_CALENDAR_TTL_S = 60.0


def get_calendar() -> WorkingCalendar:
    """The working calendar with admin overrides, re-read at most once a minute."""
    global _calendar_cache
    now = time.monotonic()
    if _calendar_cache is None or now - _calendar_cache[0] > _CALENDAR_TTL_S:
        overrides = dict(CalendarOverride.objects.values_list("day", "is_workday"))
        _calendar_cache = (now, WorkingCalendar(overrides))
    return _calendar_cache[1]


def forget_calendar() -> None:
    global _calendar_cache
    _calendar_cache = None


def get_rules() -> SlaRules:
    return SlaRules.from_config(settings.MINYI_SLA)


def get_clock() -> Clock:
    return Clock(get_calendar())


def register(appeal: Appeal, *, actor: Actor, now: dt.datetime, accept: bool = False) -> Appeal:
    """Give a new, unsaved appeal its first state and save it once. Called inside intake's transaction.

    With ``accept`` the 受理 step is taken at once, as ``perform(ACCEPT)`` would (same policy check,
    effects, audit row and hooks), without reading the row back and writing it a second time: the
    hotline's intake is one INSERT of the appeal and one per audit row.
    """
    register_step = machine.step(State.NEW, Event.REGISTER, Context())
    if not accept:
        appeal.status = register_step.target
        appeal.save(force_insert=True)
        _audit(appeal, actor, register_step, now=now, reason="", payload={"channel_id": appeal.channel_id})
        return appeal
    if not may(actor.roles, Event.ACCEPT, own_department=False):
        raise ActionForbidden(f"您没有权限对该诉求执行“{EVENT_LABELS[Event.ACCEPT]}”")
    accept_step = machine.step(register_step.target, Event.ACCEPT, Context(kind=appeal.kind))
    effect_input = EffectInput(now=now, clock=get_clock(), rules=get_rules())
    for name in accept_step.effects:
        IMPLEMENTATIONS[name](appeal, effect_input)
    appeal.status = accept_step.target
    appeal.save(force_insert=True)
    _audit(appeal, actor, register_step, now=now, reason="", payload={"channel_id": appeal.channel_id})
    _audit(appeal, actor, accept_step, now=now, reason="", payload=payload_of(effect_input))
    notices = [_notice_for(appeal, audience, Event.ACCEPT) for audience, _ in effect_input.notices]
    step = Step(appeal, accept_step, actor, now, "", effect_input)
    for hook in AFTER_TRANSITION:
        hook(step)
    notices.extend(step.notices)
    queue_notices(notices)
    return appeal


def _audit(
    appeal: Appeal,
    actor: Actor,
    transition: machine.Transition,
    *,
    now: dt.datetime,
    reason: str,
    payload: dict[str, Any],
) -> AuditEvent:
    return AuditEvent.objects.create(
        appeal=appeal,
        at=now,
        actor_id=actor.user_id,
        actor_label=actor.label,
        event=transition.event.value,
        from_state=transition.source.value,
        to_state=transition.target.value,
        reason=reason,
        payload=payload,
    )


def perform(
    appeal: Appeal | int,
    event: Event,
    *,
    by: Any,
    reason: str = "",
    department: Department | None = None,
    category: Category | None = None,
    reply: str = "",
    satisfaction: int | None = None,
    resolved: bool | None = None,
    comment: str = "",
    extension_days: int = 0,
    merge_into: Appeal | None = None,
    reason_code: str = "",
    callback_method: str = "",
    now: dt.datetime | None = None,
) -> Appeal:
    """Fire ``event`` on the appeal as ``by``; raise ActionForbidden or TransitionError if not allowed."""
    from minyi.appeals.models import Appeal as AppealModel

    actor = Actor.of(by)
    now = now or timezone.now()
    appeal_id = appeal if isinstance(appeal, int) else appeal.pk
    with transaction.atomic():
        locked = AppealModel.objects.select_for_update().get(pk=appeal_id)
        own = locked.department_id is not None and locked.department_id in actor.department_ids
        if not may(actor.roles, event, own_department=own):
            raise ActionForbidden(f"您没有权限对该诉求执行“{EVENT_LABELS[event]}”")
        merge_open = False
        if merge_into is not None:
            merge_open = merge_into.pk != locked.pk and AppealModel.objects.open().filter(pk=merge_into.pk).exists()
        ctx = Context(
            reason=reason,
            kind=locked.kind,
            department_id=department.pk if department is not None else None,
            current_department_id=locked.department_id,
            reply=reply,
            satisfaction=satisfaction,
            has_pending_extension=locked.extension_days_requested is not None,
            extension_days=extension_days,
            merge_target_open=merge_open,
            reopen_count=locked.reopen_count,
        )
        transition = machine.step(locked.state, event, ctx)
        effect_input = EffectInput(
            now=now,
            clock=get_clock(),
            rules=get_rules(),
            department_id=ctx.department_id,
            category_id=category.pk if category is not None else None,
            reply=reply,
            satisfaction=satisfaction,
            resolved=resolved,
            comment=comment,
            extension_days=extension_days,
            merge_into_id=merge_into.pk if merge_into is not None else None,
            reason_code=reason_code,
            callback_method=callback_method,
        )
        for name in transition.effects:
            IMPLEMENTATIONS[name](locked, effect_input)
        locked.status = transition.target
        locked.save()
        audit_reason, payload = reason, payload_of(effect_input)
        for note in AUDIT_NOTES:
            extra = note(locked, transition)
            if extra is not None:
                audit_reason = "；".join(part for part in (audit_reason, extra[0]) if part)
                payload.update(extra[1])
        _audit(locked, actor, transition, now=now, reason=audit_reason, payload=payload)
        notices = [_notice_for(locked, audience, event) for audience, _ in effect_input.notices]
        step = Step(locked, transition, actor, now, reason, effect_input)
        for hook in AFTER_TRANSITION:
            hook(step)
        notices.extend(step.notices)
        queue_notices(notices)
    return locked


def deliver_all(notices: list[Notice]) -> None:
    for notice in notices:
        deliver(notice)


def queue_notices(notices: list[Notice]) -> None:
    """Record the notices in the current transaction's outbox; a worker sends them after commit.

    A crash between the action's commit and the sending loses nothing: the job is committed with it.
    """
    if notices:
        from minyi.jobs.registry import enqueue

        enqueue("notify.deliver", {"notices": [dataclasses.asdict(n) for n in notices]})


def users_in_role(role: Role) -> tuple[int, ...]:
    from django.contrib.auth import get_user_model

    return tuple(get_user_model().objects.filter(groups__name=role.value, is_active=True).values_list("pk", flat=True))


def department_user_ids(department_id: int | None) -> tuple[int, ...]:
    from minyi.directory.models import StaffProfile

    if department_id is None:
        return ()
    return tuple(StaffProfile.objects.filter(department_id=department_id).values_list("user_id", flat=True))


def _notice_for(appeal: Appeal, audience: str, event: Event) -> Notice:
    user_ids: tuple[int, ...] = ()
    extra: dict[str, str] = {}
    if audience == "department":
        user_ids = department_user_ids(appeal.department_id)
    elif audience in AUDIENCE_ROLES:
        user_ids = users_in_role(AUDIENCE_ROLES[audience])
    elif audience == "submitter" and appeal.phone:
        extra = {"phone": appeal.phone}
    label = EVENT_LABELS[event]
    return Notice(
        kind=f"{event.value}:{audience}",
        subject=f"诉求 {appeal.number} {label}",
        body=f"{mask_text(appeal.title)}（{appeal.status_label()}）",  # notices are stored and sent by SMS: masked
        user_ids=user_ids,
        appeal_number=appeal.number,
        extra=extra,
    )


AUDIENCE_ROLES = {"supervisors": Role.SUPERVISOR, "dispatchers": Role.DISPATCHER, "leaders": Role.LEADER}


def record_note(
    appeal: Appeal,
    *,
    by: Any,
    kind: str,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """An audited event that does not change the state (attachment, triage suggestion, …)."""
    actor = Actor.of(by)
    return AuditEvent.objects.create(
        appeal=appeal,
        at=now or timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        event=kind,
        from_state=appeal.status,
        to_state=appeal.status,
        reason=reason,
        payload=payload or {},
    )


PRIORITY_EVENT = "priority_raised"  # an audited note, not a machine event: replay ignores it
# The department holds the appeal and its reply deadline stands (退单待审核 included: a rejected return keeps it).
_RUNNING_CLOCK = frozenset({State.DISPATCHED, State.IN_PROGRESS, State.RETURN_REQUESTED})


def raise_priority(appeal: Appeal | int, priority: str, *, by: Any, reason: str = "", now: dt.datetime | None = None) -> Appeal:
    """Raise the appeal's priority (never lower it) and shorten its reply deadline to match (never extend it).

    The reply budget depends on kind x priority (``sla.SlaRules``). Before dispatch no clock
    runs, and dispatch will start it from the raised priority. Once dispatched, the new
    reply deadline is the earlier of the current one and ``now`` plus the new priority's
    budget — from now, because nobody could be held to an urgency before it was known; the
    due-soon point moves the same way. A paused clock (挂起) keeps the shorter remaining time
    for when it resumes. The claim deadline does not depend on priority; a replied or closed
    appeal only changes its priority. Escalation and SLA flags stay: an earlier deadline can
    only make them due sooner, and the sweep re-marks them.

    One transaction, one audit row (``priority_raised``); when the reply clock was shortened,
    the department hears of it after commit. A priority that is not higher changes nothing.
    """
    from minyi.appeals.models import PRIORITY_ORDER
    from minyi.appeals.models import Appeal as AppealModel

    order = [str(p) for p in PRIORITY_ORDER]
    if priority not in order:
        raise ValueError(f"unknown priority {priority!r}")
    actor = Actor.of(by)
    if not actor.roles & RAISES_PRIORITY:
        raise ActionForbidden("您没有权限提高诉求的紧急程度")
    now = now or timezone.now()
    appeal_id = appeal if isinstance(appeal, int) else appeal.pk
    with transaction.atomic():
        locked = AppealModel.objects.select_for_update().get(pk=appeal_id)
        old = locked.priority
        if order.index(priority) <= order.index(old):
            return locked
        locked.priority = priority
        shortened = _shorten_reply_clock(locked, now)
        locked.save()
        AuditEvent.objects.create(
            appeal=locked,
            at=now,
            actor_id=actor.user_id,
            actor_label=actor.label,
            event=PRIORITY_EVENT,
            from_state=locked.status,
            to_state=locked.status,
            reason=reason,
            payload={"from": old, "to": priority, **shortened},
        )
        if shortened and locked.department_id is not None:
            queue_notices([_shortened_notice(locked)])
    return locked


def _shorten_reply_clock(appeal: Appeal, now: dt.datetime) -> dict[str, Any]:
    """Fit the reply clock to ``appeal.priority`` where that makes it shorter; returns what changed, as [before, after]."""
    rules, clock = get_rules(), get_clock()
    changed: dict[str, Any] = {}
    if fixed_deadline(appeal, now, clock) is not None:
        return changed  # a fixed date (建议提案: three months from 交办) does not depend on priority
    budget = rules.reply_budget(appeal.kind, appeal.priority)
    due = clock.deadline(now, budget)
    if appeal.state is State.SUSPENDED and appeal.paused_remaining_seconds is not None:
        if due >= clock.add(now, dt.timedelta(seconds=appeal.paused_remaining_seconds), appeal.sla_unit or "wd"):
            return changed
        remaining = int(budget.span().total_seconds())
        changed["paused_remaining_seconds"] = [appeal.paused_remaining_seconds, remaining]
        appeal.paused_remaining_seconds = remaining
    elif appeal.state in _RUNNING_CLOCK and appeal.reply_due_at is not None:
        if due >= appeal.reply_due_at:
            return changed
        changed["reply_due_at"] = [timezone.localtime(appeal.reply_due_at).isoformat(), timezone.localtime(due).isoformat()]
        warn = clock.warn_point(now, budget, rules.due_soon_fraction)
        appeal.reply_due_at = due
        appeal.reply_warn_at = min(warn, appeal.reply_warn_at) if appeal.reply_warn_at is not None else warn
        if appeal.state is State.DISPATCHED:
            cap_claim_deadline(appeal)
    else:
        return changed
    appeal.sla_unit = budget.unit
    appeal.reply_budget_seconds = int(budget.span().total_seconds())
    return changed


def _shortened_notice(appeal: Appeal) -> Notice:
    with notice_language():
        subject = gettext("诉求 %(number)s 紧急程度提高为“%(priority)s”") % {"number": appeal.number, "priority": appeal.get_priority_display()}
        if appeal.state is State.SUSPENDED or appeal.reply_due_at is None:
            body = gettext("答复时限已相应缩短，恢复办理后按新时限计时。")
        else:
            body = gettext("答复时限提前至 %(due)s。") % {"due": timezone.localtime(appeal.reply_due_at).strftime("%Y-%m-%d %H:%M")}
    return Notice(
        kind=f"{PRIORITY_EVENT}:department",
        subject=subject,
        body=f"{body}{mask_text(appeal.title)}",
        user_ids=department_user_ids(appeal.department_id),
        appeal_number=appeal.number,
    )


def replay_state(appeal: Appeal) -> State:
    """The state the audit trail leads to; equals ``appeal.status`` unless something bypassed us."""
    known = {e.value for e in Event}
    events = [Event(name) for name in appeal.audit.order_by("id").values_list("event", flat=True) if name in known]
    return machine.replay(events)


__all__ = [
    "AFTER_TRANSITION",
    "AUDIT_NOTES",
    "CITIZEN",
    "SYSTEM",
    "ActionForbidden",
    "Actor",
    "Step",
    "TransitionError",
    "forget_calendar",
    "get_calendar",
    "get_clock",
    "get_rules",
    "perform",
    "raise_priority",
    "record_note",
    "register",
    "replay_state",
]
