"""Appeal actions: intake, and a named action for every workflow step.

Views, the CLI and the API call these; none of them writes an appeal directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from minyi.appeals.models import PRIORITY_ORDER, Appeal, CallbackMethod, DailyCounter, Kind, Priority, SubmitterType
from minyi.appeals.validators import normalize_phone, validate_credit_code, validate_phone
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.core.pii import AppealView, personal_fields, present
from minyi.core.roles import may_reveal_pii
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import OPEN_STATES, STATE_LABELS, Event, TransitionError
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import RAISES_PRIORITY, Role

MAX_CONTENT = 5000


@dataclass
class IntakeData:
    """A new appeal as received from any channel, before validation."""

    channel: Channel
    title: str
    content: str
    kind: str = Kind.COMPLAINT
    priority: str = Priority.NORMAL
    submitter_type: str = SubmitterType.PERSON
    submitter_name: str = ""
    credit_code: str = ""
    phone: str = ""
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    grid: GridCell | None = None
    category: Category | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def clean(self) -> None:
        """Raise ValidationError naming every bad field, in Chinese."""
        errors: dict[str, list[str]] = {}

        def bad(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        self.title = self.title.strip()
        self.content = self.content.strip()
        if not self.title:
            bad("title", "请填写标题")
        elif len(self.title) > 200:
            bad("title", "标题不能超过 200 字")
        if len(self.content) < 5:
            bad("content", "诉求内容至少 5 个字")
        elif len(self.content) > MAX_CONTENT:
            bad("content", f"诉求内容不能超过 {MAX_CONTENT} 字")
        if self.kind not in Kind.values:
            bad("kind", "诉求类型无效")
        if self.priority not in Priority.values:
            bad("priority", "紧急程度无效")
        if self.submitter_type not in SubmitterType.values:
            bad("submitter_type", "诉求人类型无效")
        if self.phone:
            self.phone = normalize_phone(self.phone)
            try:
                validate_phone(self.phone)
            except ValidationError as exc:
                bad("phone", exc.messages[0])
        if self.submitter_type == SubmitterType.ENTERPRISE:
            self.credit_code = self.credit_code.strip().upper()
            try:
                validate_credit_code(self.credit_code)
            except ValidationError as exc:
                bad("credit_code", exc.messages[0])
        elif self.credit_code:
            bad("credit_code", "个人诉求不填写统一社会信用代码")
        if (self.lat is None) != (self.lng is None):
            bad("lat", "经纬度须同时填写")
        if self.lat is not None and not (-90 <= self.lat <= 90):
            bad("lat", "纬度超出范围")
        if self.lng is not None and not (-180 <= self.lng <= 180):
            bad("lng", "经度超出范围")
        if not self.channel.active:
            bad("channel", "该渠道已停用")
        if errors:
            raise ValidationError(errors)


def allocate_numbers(day: dt.date, count: int) -> list[str]:
    """Reserve ``count`` consecutive numbers for ``day``. Must run inside a transaction.

    The counter row is locked until commit, so two intakes never share a number; a
    bulk import reserves its whole block in one statement.
    """
    table = connection.ops.quote_name(DailyCounter._meta.db_table)
    with connection.cursor() as cursor:
        # One statement: create the day's row or add to it, and read the new value (PostgreSQL and SQLite 3.35+).
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) ON CONFLICT (day) DO UPDATE SET last = {table}.last + excluded.last RETURNING last",  # noqa: S608 - quoted model table
            [day, count],
        )
        last = int(cursor.fetchone()[0])
    first = last - count + 1
    return [f"{day:%Y%m%d}-{n:06d}" for n in range(first, last + 1)]


def _build(data: IntakeData, number: str, now: dt.datetime, user_id: int | None, key: str | None) -> Appeal:
    return Appeal(
        number=number,
        idempotency_key=key,
        channel=data.channel,
        kind=data.kind,
        priority=data.priority,
        submitter_type=data.submitter_type,
        submitter_name=data.submitter_name.strip(),
        credit_code=data.credit_code,
        phone=data.phone,
        title=data.title,
        content=data.content,
        address=data.address.strip(),
        lat=data.lat,
        lng=data.lng,
        grid=data.grid,
        category=data.category,
        created_at=now,
        created_by_id=user_id,
    )


class IdempotencyConflict(ValidationError):
    """The caller reused an idempotency key for a different request body.

    Its message is for people at a form; the API answers with ``IDEMPOTENCY_CONFLICT_API``.
    """


IDEMPOTENCY_CONFLICT = gettext_noop("这份表单已经提交过，但内容与上次不同。如需登记新的诉求，请刷新页面后重新填写。")
IDEMPOTENCY_CONFLICT_API = gettext_noop("该幂等键（Idempotency-Key）已用于内容不同的请求；登记新的诉求请换一个幂等键")


def scoped_idempotency_key(caller: str, key: str) -> str:
    """The stored key: the client's key inside its caller's namespace, so two callers never share one.

    A namespaced key longer than the column is shortened to a digest of the client's
    key instead of being cut, so two long keys never collide on a common prefix.
    """
    key = key.strip()
    scoped = f"{caller}:{key}"
    if len(scoped) <= 100:
        return scoped
    return f"{caller}:#{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}"[:100]


def _coordinate(value: Any) -> str | None:
    return None if value is None else f"{float(value):.6f}"


def _request_fields(channel_id: int | None, data_or_appeal: Any) -> tuple[Any, ...]:
    """What the caller asked for, as stored: compared on a retry to tell a replay from a different request.

    Only fields that intake stores and later steps never change (dispatch sets the
    category, a raise changes the priority, triage only suggests).
    """
    item = data_or_appeal
    return (
        channel_id,
        str(item.kind),
        str(item.submitter_type),
        item.submitter_name.strip(),
        item.credit_code,
        item.phone,
        item.title,
        item.content,
        item.address.strip(),
        _coordinate(item.lat),
        _coordinate(item.lng),
    )


def _replay_or_conflict(existing: Appeal, data: IntakeData) -> Appeal:
    if _request_fields(existing.channel_id, existing) != _request_fields(data.channel.pk, data):
        raise IdempotencyConflict({NON_FIELD_ERRORS: [gettext(IDEMPOTENCY_CONFLICT)]})
    return existing


def intake_appeal(
    data: IntakeData,
    *,
    by: Any,
    idempotency_key: str | None = None,
    caller: str | None = None,
    accept: bool = True,
    now: dt.datetime | None = None,
) -> tuple[Appeal, bool]:
    """Register (and, for staff, accept) a new appeal. Returns (appeal, created).

    Idempotency keys live in the caller's namespace: ``caller`` names it (``api:<key
    prefix>``, ``open311:<key prefix>``, ``portal:<digest of the browser's CSRF secret>``); by default it is
    the acting staff user (``user:<id>``). Retrying with the same key and the same
    request returns the first appeal and creates nothing, even when two retries race;
    the same key with a different request raises ``IdempotencyConflict``.
    """
    actor = wf.Actor.of(by)
    key = None
    if idempotency_key and idempotency_key.strip():
        if caller is None:
            if actor.user_id is None:
                raise ValueError("an idempotency key needs a caller namespace when no staff user acts")
            caller = f"user:{actor.user_id}"
        key = scoped_idempotency_key(caller, idempotency_key)
    data.clean()
    if key:
        existing = Appeal.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay_or_conflict(existing, data), False
    now = now or timezone.now()
    day = now.astimezone(SHANGHAI).date()
    number = None
    if not transaction.get_connection().in_atomic_block:
        # The number in its own short transaction: the day's counter row is locked for a moment, not for the
        # whole intake, so concurrent intakes do not queue behind each other. An intake that fails later
        # leaves a gap in the day's numbers, never a duplicate.
        with transaction.atomic():
            number = allocate_numbers(day, 1)[0]
    try:
        with transaction.atomic():
            number = number or allocate_numbers(day, 1)[0]
            appeal = _build(data, number, now, actor.user_id, key)
            wf.register(appeal, actor=actor, now=now, accept=accept)
            _in_intake(appeal)  # side effects (the AI suggestion job …) in the same transaction: the outbox
    except IntegrityError:
        if key:
            existing = Appeal.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _replay_or_conflict(existing, data), False
        raise
    _after_intake(appeal)
    return appeal, True


def _in_intake(appeal: Appeal) -> None:
    """Hooks that record side effects inside intake's transaction; a failure fails the intake."""
    from minyi.appeals import hooks

    hooks.run_in_intake(appeal)


def _after_intake(appeal: Appeal) -> None:
    """Hook for triage suggestions; failures never lose the appeal (it is committed)."""
    from minyi.appeals import hooks

    hooks.run_after_intake(appeal)


def bulk_intake(items: Sequence[IntakeData], *, by: Any, accept: bool = True, now: dt.datetime | None = None) -> list[Appeal]:
    """Intake many appeals in one transaction: the bulk path for imports and the benchmark.

    Numbers are reserved as one block, rows and audit rows are inserted with
    ``bulk_create``; the state goes through the same machine as single intake.
    """
    from minyi.workflow import machine
    from minyi.workflow.machine import Context, State

    actor = wf.Actor.of(by)
    now = now or timezone.now()
    for item in items:
        item.clean()
    register = machine.step(State.NEW, Event.REGISTER, Context())
    steps = [register]
    if accept:
        steps.append(machine.step(register.target, Event.ACCEPT, Context()))
    with transaction.atomic():
        numbers = allocate_numbers(now.astimezone(SHANGHAI).date(), len(items))
        appeals = [_build(item, number, now, actor.user_id, None) for item, number in zip(items, numbers, strict=True)]
        for appeal in appeals:
            appeal.status = steps[-1].target
            if accept:
                appeal.accepted_at = now
        Appeal.objects.bulk_create(appeals, batch_size=1000)
        if appeals[0].pk is None:  # backends without RETURNING: read the ids back
            ids = dict(Appeal.objects.filter(number__in=numbers).values_list("number", "pk"))
            for appeal in appeals:
                appeal.pk = ids[appeal.number]
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    appeal_id=appeal.pk,
                    at=now,
                    actor_id=actor.user_id,
                    actor_label=actor.label,
                    event=step.event.value,
                    from_state=step.source.value,
                    to_state=step.target.value,
                )
                for appeal in appeals
                for step in steps
            ],
            batch_size=2000,
        )
    return appeals


# Named workflow actions. Each is one transaction with one audit row (see wf.perform).


def accept_appeal(appeal: Appeal, *, by: Any) -> Appeal:
    return wf.perform(appeal, Event.ACCEPT, by=by)


def reject_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.REJECT, by=by, reason=reason)


def close_directly(appeal: Appeal, *, reply: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.CLOSE_DIRECTLY, by=by, reply=reply)


def dispatch_appeal(
    appeal: Appeal, department: Department, *, by: Any, category: Category | None = None, reason: str = "", now: dt.datetime | None = None
) -> Appeal:
    appeal = wf.perform(appeal, Event.DISPATCH, by=by, department=department, category=category, reason=reason, now=now)
    _learn(appeal, "dispatch")
    return appeal


def redispatch_appeal(appeal: Appeal, department: Department, *, reason: str, by: Any, category: Category | None = None) -> Appeal:
    appeal = wf.perform(appeal, Event.REDISPATCH, by=by, department=department, category=category, reason=reason)
    _learn(appeal, "redispatch")
    return appeal


def claim_appeal(appeal: Appeal, *, by: Any) -> Appeal:
    return wf.perform(appeal, Event.CLAIM, by=by)


def return_appeal(appeal: Appeal, *, reason: str, by: Any, code: str = "") -> Appeal:
    """退单: the department asks to hand the appeal back; a dispatcher rules on it (退单待审核)."""
    return wf.perform(appeal, Event.RETURN, by=by, reason=reason, reason_code=code)


def approve_return(appeal: Appeal, *, by: Any, reason: str = "", redispatch_to: Department | None = None) -> Appeal:
    """同意退单: back to the dispatch desk, or straight to ``redispatch_to`` (改派)."""
    if redispatch_to is not None:
        appeal = wf.perform(appeal, Event.REDISPATCH, by=by, department=redispatch_to, reason=reason or "同意退单并改派")
        _learn(appeal, "redispatch")
        return appeal
    return wf.perform(appeal, Event.APPROVE_RETURN, by=by, reason=reason)


def reject_return(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    """驳回退单: the appeal goes back to the same department, which must claim it again."""
    return wf.perform(appeal, Event.REJECT_RETURN, by=by, reason=reason)


def request_extension(appeal: Appeal, *, days: int, reason: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.REQUEST_EXTENSION, by=by, extension_days=days, reason=reason)


def approve_extension(appeal: Appeal, *, by: Any, reason: str = "") -> Appeal:
    return wf.perform(appeal, Event.APPROVE_EXTENSION, by=by, reason=reason)


def deny_extension(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.DENY_EXTENSION, by=by, reason=reason)


def suspend_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.SUSPEND, by=by, reason=reason)


def resume_appeal(appeal: Appeal, *, by: Any, reason: str = "") -> Appeal:
    return wf.perform(appeal, Event.RESUME, by=by, reason=reason)


def reply_appeal(appeal: Appeal, *, reply: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.REPLY, by=by, reply=reply)


def approve_reply(appeal: Appeal, *, by: Any, reason: str = "") -> Appeal:
    return wf.perform(appeal, Event.APPROVE_REPLY, by=by, reason=reason)


def reject_reply(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    return wf.perform(appeal, Event.REJECT_REPLY, by=by, reason=reason)


def supervise_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    """督办: a supervision order the department head answers in writing (see minyi.accountability)."""
    return wf.perform(appeal, Event.SUPERVISE, by=by, reason=reason)


def urge_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    """催办: a reminder to the department."""
    return wf.perform(appeal, Event.URGE, by=by, reason=reason)


def list_supervise_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    """挂牌督办: leader-level supervision, listed on the cockpit."""
    return wf.perform(appeal, Event.LIST_SUPERVISE, by=by, reason=reason)


def record_callback(appeal: Appeal, *, satisfaction: int, resolved: bool, comment: str = "", method: str = "", by: Any) -> Appeal:
    """回访: a satisfied rating closes the appeal; the first unsatisfied one reopens it to the same
    department with raised priority (重办整改); an unsatisfied rating after that goes to arbitration.
    ``method`` (电话/短信/上门 …, ``CallbackMethod``) and the notes in ``comment`` go into the audit row."""
    if satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": ["满意度须为 1 到 5"]})
    if method and method not in CallbackMethod.values:
        raise ValidationError({"method": [gettext("回访方式无效")]})
    if satisfaction >= 3:
        event = Event.CLOSE
    else:
        reopened = Appeal.objects.filter(pk=appeal.pk).values_list("reopen_count", flat=True).first() or 0
        event = Event.REOPEN if reopened == 0 else Event.REFER_ARBITRATION
    return wf.perform(appeal, event, by=by, satisfaction=satisfaction, resolved=resolved, comment=comment, reason=comment, callback_method=method)


def arbitrate_appeal(appeal: Appeal, *, reopen: bool, reason: str, by: Any) -> Appeal:
    """仲裁 of a repeated bad rating: reopen once more (仲裁重办) or close it with the reasons given (仲裁办结)."""
    return wf.perform(appeal, Event.ARBITRATE_REOPEN if reopen else Event.ARBITRATE_CLOSE, by=by, reason=reason)


def merge_appeal(appeal: Appeal, *, into: Appeal, by: Any, reason: str = "") -> Appeal:
    """合并: the sub waits under ``into``; the main's approved answer moves it to 待回访 with the same answer."""
    return wf.perform(appeal, Event.MERGE, by=by, merge_into=into, reason=reason or f"合并至 {into.number}")


def unmerge_appeal(appeal: Appeal, *, reason: str, by: Any) -> Appeal:
    """撤销合并: the sub goes back to the dispatch desk on its own."""
    return wf.perform(appeal, Event.UNMERGE, by=by, reason=reason)


def raisable_priorities(appeal: Appeal) -> list[str]:
    """The priorities staff may raise an open appeal to: those above its current one (一般 < 紧急 < 特急)."""
    order = [str(p) for p in PRIORITY_ORDER]
    if appeal.state not in OPEN_STATES or appeal.priority not in order:
        return []
    return order[order.index(appeal.priority) + 1 :]


def raise_priority(appeal: Appeal, priority: str, *, reason: str, by: Any) -> Appeal:
    """提高紧急程度 by a dispatcher, supervisor or admin (``RAISES_PRIORITY``): ``workflow.services.raise_priority``.

    Once dispatched, the reply deadline moves earlier (never later), one ``priority_raised``
    audit row is written and the department is told. Unlike the workflow action, which
    leaves a lower or equal priority as it is (the triage job relies on that), a person's
    request is refused: ActionForbidden for other roles, TransitionError for an appeal
    that is no longer open (办结, 不予受理, 已合并), ValidationError for a priority that is
    not higher than the current one or a blank reason. Checked under the row lock.
    """
    if not wf.Actor.of(by).roles & RAISES_PRIORITY:
        raise wf.ActionForbidden(gettext("您没有权限提高诉求的紧急程度"))
    reason = reason.strip()
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.state not in OPEN_STATES:
            state = gettext(STATE_LABELS[locked.state])
            raise TransitionError(gettext("当前状态“%(state)s”不能提高紧急程度") % {"state": state}, code="not_allowed")
        errors: dict[str, list[str]] = {}
        if priority not in raisable_priorities(locked):
            current = locked.get_priority_display()
            errors["priority"] = [gettext("只能提高紧急程度：当前为“%(current)s”，请选择更高的级别") % {"current": current}]
        if not reason:
            errors["reason"] = [gettext("请填写提高紧急程度的理由")]
        if errors:
            raise ValidationError(errors)
        return wf.raise_priority(locked, priority, by=by, reason=reason)


REPLY_PUBLICITY_EVENT = "reply_publicity"  # an audited note: replay ignores it, the timeline names it
# Who decides that a reply may be shown to the public (Open311, the map, the progress link).
PUBLISHES_REPLY = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})


def set_reply_public(appeal: Appeal, public: bool, *, by: Any, reason: str = "") -> Appeal:
    """答复公开: mark the reply as fit for the public (shown through ``mask_pii``), or take that back.

    One transaction under the row lock, one ``reply_publicity`` note on the timeline.
    ActionForbidden for other roles; ValidationError when there is no reply to publish.
    Setting the flag it already has writes nothing.
    """
    actor = wf.Actor.of(by)
    if not actor.roles & PUBLISHES_REPLY:
        raise wf.ActionForbidden(gettext("只有受理员、派单员或系统管理员可以设置答复是否公开"))
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if public and not locked.reply_text.strip():
            raise ValidationError({NON_FIELD_ERRORS: [gettext("该诉求还没有答复，不能设为公开")]})
        if locked.reply_public == public:
            return locked
        locked.reply_public = public
        locked.save(update_fields=["reply_public", "updated_at"])
        note = gettext("答复设为公开（个人信息自动遮盖）") if public else gettext("答复取消公开")
        reason = f"{note}：{reason.strip()}" if reason.strip() else note
        wf.record_note(locked, by=actor, kind=REPLY_PUBLICITY_EVENT, reason=reason, payload={"public": public})
    return locked


def _learn(appeal: Appeal, source: str) -> None:
    from minyi.appeals import hooks

    hooks.run_after_dispatch(appeal, source)


def timeline(appeal: Appeal) -> Iterable[AuditEvent]:
    return appeal.audit.select_related("actor").order_by("id")


def reveal_personal_data(appeal: Appeal, *, by: Any, request: HttpRequest | None = None) -> AppealView:
    """查看完整信息: the appeal's full phone and unmasked text, recorded as REVEAL_PII in the security log.

    Pages show personal data masked to everyone; this is the only way to see it in full, so every
    look at a full phone number leaves a row (who, which appeal, which fields). A role without the
    permission (leader, supervisor, security or audit administrator) is refused, and that is logged too.
    """
    if not may_reveal_pii(by):
        record_security_event(
            SecurityKind.DENIED, request=request, user=by, target=appeal.number, outcome="denied", details={"action": "reveal_pii"}
        )
        raise wf.ActionForbidden(gettext("您的角色不能查看完整的个人信息"))
    with transaction.atomic():
        record_security_event(
            SecurityKind.REVEAL_PII, request=request, user=by, target=appeal.number,
            details={"appeal": appeal.number, "fields": personal_fields(appeal)},
        )
    return present(appeal, by, reveal=True)
