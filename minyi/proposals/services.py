"""建议提案 actions: register, 交办, 协办意见, 面商, 答复函, review, the proposer's satisfaction.

Each is one transaction with one audit row on the appeal's timeline: the workflow's own row for
the steps that move the appeal (交办 = dispatch, 答复函 = reply, review, 满意/不满意 → close/重办),
a named note (``proposal_opinion``, ``proposal_consultation``) for the others. The liaison office
(``Role.LIAISON``) has no workflow powers of its own: these actions fire the dispatcher's and the
operator's steps for it, on proposals only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from minyi.appeals import services as appeals
from minyi.appeals.models import Kind as AppealKind
from minyi.core.notify import Notice, notice_language
from minyi.core.roles import department_ids_of, roles_of
from minyi.directory.models import Channel, Department
from minyi.proposals.models import CHANNEL_OF, RATING_OF, Classification, CoHandler, Consultation, Kind, Proposal, ProposerSatisfaction
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import STATE_LABELS, Event, State, TransitionError
from minyi.workflow.policy import SEES_ALL, SEES_PERSONAL_DATA, Role

OPINION_EVENT = "proposal_opinion"  # audited notes: replay ignores them, the timeline names them
CONSULTATION_EVENT = "proposal_consultation"
NOTE_LABELS = {OPINION_EVENT: gettext_noop("协办意见"), CONSULTATION_EVENT: gettext_noop("面商")}

LIAISON_ROLES = frozenset({Role.LIAISON, Role.ADMIN})
# Who sees the proposer's name in full: those who act on the proposal. Leaders and supervisors see 王**.
SEES_PROPOSER = SEES_PERSONAL_DATA | {Role.LIAISON}
# While the 主办 unit holds the proposal: opinions and 面商 may be recorded.
HANDLING = frozenset({State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED, State.RETURN_REQUESTED})


def is_liaison(user: Any) -> bool:
    return bool(roles_of(user) & LIAISON_ROLES)


def _liaison(by: Any, role: Role) -> wf.Actor:
    """The liaison acting as the 12345 desk's ``role`` would, for one step on a proposal."""
    actor = wf.Actor.of(by)
    if not actor.roles & LIAISON_ROLES:
        raise wf.ActionForbidden(gettext("只有人大政协联络员可以办理这一步"))
    return dataclasses.replace(actor, roles=actor.roles | {role})


def _in_department(user: Any, department_id: int | None) -> bool:
    return department_id is not None and department_id in department_ids_of(user)


def visible_proposals(user: Any) -> QuerySet[Proposal]:
    """Proposals this user may see: all for the liaison office and overseeing roles; a unit's own
    (as 主办 or 协办) for handlers; none for anyone else."""
    qs = Proposal.objects.select_related("appeal", "appeal__department")
    roles = roles_of(user)
    if roles & (SEES_ALL | {Role.LIAISON}):
        return qs
    ids = department_ids_of(user)
    if Role.HANDLER in roles and ids:
        return qs.filter(Q(appeal__department_id__in=ids) | Q(co_handlers__department_id__in=ids)).distinct()
    return qs.none()


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(SHANGHAI).date()


@dataclass
class ProposalData:
    kind: str
    title: str
    content: str
    proposer_name: str
    proposer_group: str
    proposer_phone: str = ""
    co_signers: int = 0
    session: str = ""
    year: int | None = None
    number: int | None = None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for name in ("title", "content", "proposer_name", "proposer_group", "session", "proposer_phone"):
            setattr(self, name, str(getattr(self, name)).strip())
        if self.kind not in Kind.values:
            errors["kind"] = [gettext("请选择类别：人大建议、人大议案或政协提案")]
        if not self.proposer_name:
            errors["proposer_name"] = [gettext("请填写领衔代表或委员的姓名")]
        if not self.proposer_group:
            errors["proposer_group"] = [gettext("请填写所在代表团或界别")]
        if not 0 <= self.co_signers <= 200:
            errors["co_signers"] = [gettext("附议人数须在 0 到 200 之间")]
        if self.number is not None and self.number < 1:
            errors["number"] = [gettext("编号须为正整数")]
        if errors:
            raise ValidationError(errors)


def register_proposal(data: ProposalData, *, by: Any, now: dt.datetime | None = None) -> Proposal:
    """登记: the appeal (channel 人大建议 or 政协提案, accepted at once) and its proposal, in one transaction.

    The number is the next of its kind for the year unless given; a taken number is refused.
    """
    actor = _liaison(by, Role.OPERATOR)
    data.clean()
    now = now or timezone.now()
    year = data.year or _today(now).year
    channel = Channel.objects.get(code=CHANNEL_OF[Kind(data.kind)])
    intake = appeals.IntakeData(
        channel=channel,
        title=data.title,
        content=data.content,
        kind=AppealKind.SUGGESTION,
        submitter_name=data.proposer_name,
        phone=data.proposer_phone,
    )
    intake.clean()  # the same checks as any appeal (title, content, phone), before anything is written
    with transaction.atomic():
        taken = Proposal.objects.select_for_update().filter(kind=data.kind, year=year)
        number = data.number or (taken.aggregate(n=Max("number"))["n"] or 0) + 1
        if taken.filter(number=number).exists():
            raise _invalid("number", gettext("%(year)s 年已有第 %(number)s 号，请换一个编号") % {"year": year, "number": number})
        appeal, _ = appeals.intake_appeal(intake, by=actor, now=now)
        return Proposal.objects.create(
            appeal=appeal,
            kind=data.kind,
            year=year,
            number=number,
            session=data.session,
            proposer_name=data.proposer_name,
            proposer_group=data.proposer_group,
            proposer_phone=intake.phone,
            co_signers=data.co_signers,
            created_at=now,
        )


def register_proposals(items: Sequence[ProposalData], *, by: Any, now: dt.datetime | None = None) -> list[Proposal]:
    """登记 in bulk (a session's proposals, an import): ``appeals.services.bulk_intake`` and one
    ``bulk_create``, in one transaction. Every item needs its number; a taken one fails the whole batch."""
    actor = _liaison(by, Role.OPERATOR)
    now = now or timezone.now()
    for item in items:
        item.clean()
        if item.number is None:
            raise _invalid("number", gettext("批量登记须为每件写明编号"))
    channels = {c.code: c for c in Channel.objects.filter(code__in=set(CHANNEL_OF.values()))}
    intakes = [
        appeals.IntakeData(
            channel=channels[CHANNEL_OF[Kind(d.kind)]],
            title=d.title,
            content=d.content,
            kind=AppealKind.SUGGESTION,
            submitter_name=d.proposer_name,
            phone=d.proposer_phone,
        )
        for d in items
    ]
    with transaction.atomic():
        rows = appeals.bulk_intake(intakes, by=actor, now=now)
        return Proposal.objects.bulk_create(
            [
                Proposal(
                    appeal=appeal,
                    kind=d.kind,
                    year=d.year or _today(now).year,
                    number=d.number or 0,  # every item has one (checked above)
                    session=d.session,
                    proposer_name=d.proposer_name,
                    proposer_group=d.proposer_group,
                    proposer_phone=intake.phone,
                    co_signers=d.co_signers,
                    created_at=now,
                )
                for d, intake, appeal in zip(items, intakes, rows, strict=True)
            ]
        )


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("appeal").get(pk=proposal.pk)


def _state_error(state: State, what: str) -> TransitionError:
    return TransitionError(gettext("当前状态“%(state)s”不能%(what)s") % {"state": gettext(STATE_LABELS[state]), "what": what}, code="not_allowed")


def assign_proposal(
    proposal: Proposal,
    *,
    lead: Department | None,
    co_units: Sequence[Department] = (),
    assigned_on: dt.date | None,
    by: Any,
    now: dt.datetime | None = None,
) -> Proposal:
    """交办: the 主办 unit gets the appeal (the workflow's dispatch), the 协办 units are recorded.

    The answer is due three months after ``assigned_on`` (the 交办 meeting), on the working-day
    calendar (``proposals.deadlines``): the appeal's reply clock follows that date.
    """
    actor = _liaison(by, Role.DISPATCHER)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if lead is None:
        errors["lead"] = [gettext("请选择主办单位")]
    if assigned_on is None:
        errors["assigned_on"] = [gettext("请填写交办会议日期")]
    elif assigned_on > _today(now):
        errors["assigned_on"] = [gettext("交办日期不能晚于今天")]
    co = list(dict.fromkeys(co_units))
    if lead is not None and lead in co:
        errors["co_units"] = [gettext("主办单位不能同时是协办单位")]
    if errors:
        raise ValidationError(errors)
    assert lead is not None
    assert assigned_on is not None
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.appeal.state is not State.PENDING_DISPATCH:
            raise _state_error(locked.appeal.state, gettext("交办"))
        locked.assigned_on = assigned_on
        locked.save(update_fields=["assigned_on"])
        CoHandler.objects.bulk_create([CoHandler(proposal=locked, department=d) for d in co])
        names = "、".join(d.name for d in co) or gettext("无")
        reason = gettext("%(day)s 交办会议交办；主办：%(lead)s；协办：%(co)s") % {"day": assigned_on.isoformat(), "lead": lead.name, "co": names}
        locked.appeal = wf.perform(locked.appeal, Event.DISPATCH, by=actor, department=lead, reason=reason, now=now)
    return locked


def submit_opinion(proposal: Proposal, department: Department, *, opinion: str, by: Any, now: dt.datetime | None = None) -> CoHandler:
    """协办意见: one per 协办 unit, by a handler of that unit, while the 主办 unit holds the proposal.

    The 主办 unit hears of it after commit (outbox).
    """
    actor = wf.Actor.of(by)
    if not (Role.ADMIN in actor.roles or (Role.HANDLER in actor.roles and department.pk in actor.department_ids)):
        raise wf.ActionForbidden(gettext("只有该协办单位的承办人可以提交协办意见"))
    opinion = opinion.strip()
    if len(opinion) < 5:
        raise _invalid("opinion", gettext("协办意见至少 5 个字"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.appeal.state not in HANDLING:
            raise _state_error(locked.appeal.state, gettext("提交协办意见"))
        row = CoHandler.objects.select_for_update().filter(proposal=locked, department=department).first()
        if row is None:
            raise _invalid("department", gettext("%(unit)s 不是这件建议提案的协办单位") % {"unit": department.name})
        if row.submitted_at is not None:
            raise _invalid("opinion", gettext("%(unit)s 已提交过协办意见") % {"unit": department.name})
        row.opinion, row.submitted_at, row.submitted_by_id = opinion, now, actor.user_id
        row.save(update_fields=["opinion", "submitted_at", "submitted_by"])
        wf.record_note(
            locked.appeal,
            by=actor,
            kind=OPINION_EVENT,
            now=now,
            reason=gettext("%(unit)s 提交协办意见") % {"unit": department.name},
            payload={"department_id": department.pk},
        )
        with notice_language():
            notice = Notice(
                kind=f"{OPINION_EVENT}:department",
                subject=gettext("%(label)s 收到协办意见") % {"label": locked.label},
                body=gettext("%(unit)s 已提交协办意见，请在建议提案页面查看。") % {"unit": department.name},
                user_ids=wf.department_user_ids(locked.appeal.department_id),
                appeal_number=locked.appeal.number,
            )
        wf.queue_notices([notice])
    return row


def record_consultation(
    proposal: Proposal,
    *,
    held_on: dt.date | None,
    place: str,
    participants: str,
    summary: str,
    by: Any,
    now: dt.datetime | None = None,
) -> Consultation:
    """面商: the 主办 unit (or the liaison office) records a face-to-face meeting with the proposer."""
    actor = wf.Actor.of(by)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if held_on is None:
        errors["held_on"] = [gettext("请填写面商日期")]
    elif held_on > _today(now):
        errors["held_on"] = [gettext("面商日期不能晚于今天")]
    if not place.strip():
        errors["place"] = [gettext("请填写面商地点")]
    if not participants.strip():
        errors["participants"] = [gettext("请填写参加人员")]
    if len(summary.strip()) < 10:
        errors["summary"] = [gettext("面商情况至少 10 个字")]
    if errors:
        raise ValidationError(errors)
    assert held_on is not None
    with transaction.atomic():
        locked = _locked(proposal)
        lead_handler = Role.HANDLER in actor.roles and locked.appeal.department_id in actor.department_ids
        if not (lead_handler or actor.roles & LIAISON_ROLES):
            raise wf.ActionForbidden(gettext("只有主办单位的承办人或人大政协联络员可以记录面商"))
        if locked.appeal.state not in HANDLING:
            raise _state_error(locked.appeal.state, gettext("记录面商"))
        row = Consultation.objects.create(
            proposal=locked,
            held_on=held_on,
            place=place.strip(),
            participants=participants.strip(),
            summary=summary.strip(),
            recorded_by_id=actor.user_id,
            created_at=now,
        )
        wf.record_note(
            locked.appeal,
            by=actor,
            kind=CONSULTATION_EVENT,
            now=now,
            reason=gettext("%(day)s 在%(place)s面商") % {"day": held_on.isoformat(), "place": row.place},
            payload={"consultation_id": row.pk},
        )
    return row


def send_letter(
    proposal: Proposal,
    *,
    classification: str,
    body: str,
    contact: str = "",
    signed_on: dt.date | None = None,
    by: Any,
    now: dt.datetime | None = None,
) -> Proposal:
    """答复函: the 主办 unit answers with its letter and the A/B/C classification (the workflow's reply).

    Every 协办 unit must have given its opinion first. The letter's text is the appeal's reply; the
    DOCX is generated from it (``proposals.letter``).
    """
    body = body.strip()
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if classification not in Classification.values:
        errors["classification"] = [gettext("请选择答复类别（A、B 或 C）")]
    if len(body) < 20:
        errors["body"] = [gettext("答复函正文至少 20 个字")]
    signed_on = signed_on or _today(now)
    if signed_on > _today(now):
        errors["signed_on"] = [gettext("落款日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.appeal.state is not State.IN_PROGRESS:
            raise _state_error(locked.appeal.state, gettext("发出答复函（请先签收）"))
        missing = [c.department.name for c in locked.co_handlers.select_related("department") if c.submitted_at is None]
        if missing:
            raise ValidationError({NON_FIELD_ERRORS: [gettext("还有协办单位未提交意见：%(units)s") % {"units": "、".join(missing)}]})
        locked.classification, locked.letter_body = classification, body
        locked.letter_contact, locked.letter_signed_on = contact.strip(), signed_on
        locked.letter_count += 1
        locked.save(update_fields=["classification", "letter_body", "letter_contact", "letter_signed_on", "letter_count"])
        label = Classification(classification).label
        locked.appeal = wf.perform(locked.appeal, Event.REPLY, by=by, reply=body, reason=gettext("答复函：%(label)s") % {"label": label}, now=now)
    return locked


def approve_letter(proposal: Proposal, *, by: Any, now: dt.datetime | None = None) -> Proposal:
    """审核答复函: the liaison office passes the letter; the proposer is asked for their satisfaction."""
    _require_proposal(proposal)
    proposal.appeal = wf.perform(proposal.appeal, Event.APPROVE_REPLY, by=_liaison(by, Role.DISPATCHER), reason=gettext("答复函审核通过"), now=now)
    return proposal


def return_letter(proposal: Proposal, *, reason: str, by: Any, now: dt.datetime | None = None) -> Proposal:
    """退回答复函: back to the 主办 unit to rewrite."""
    _require_proposal(proposal)
    proposal.appeal = wf.perform(proposal.appeal, Event.REJECT_REPLY, by=_liaison(by, Role.DISPATCHER), reason=reason, now=now)
    return proposal


def rate_proposal(proposal: Proposal, *, satisfaction: str, comment: str = "", by: Any, now: dt.datetime | None = None) -> Proposal:
    """The proposer's satisfaction: 满意/基本满意 close it; 不满意 sends it back to the 主办 unit (重办,
    due one month later); 不满意 again goes to a supervisor's arbitration, as for any appeal."""
    actor = _liaison(by, Role.OPERATOR)
    _require_proposal(proposal)
    if satisfaction not in ProposerSatisfaction.values:
        raise _invalid("satisfaction", gettext("请选择满意、基本满意或不满意"))
    comment = comment.strip()
    if satisfaction == ProposerSatisfaction.UNSATISFIED and len(comment) < 2:
        raise _invalid("comment", gettext("不满意时请写明代表或委员的意见"))
    rating = RATING_OF[ProposerSatisfaction(satisfaction)]
    # As ``appeals.services.record_callback`` decides: the first 不满意 is 重办, a repeat goes to arbitration.
    reopened = Proposal.objects.filter(pk=proposal.pk).values_list("appeal__reopen_count", flat=True).first() or 0
    event = Event.CLOSE if rating >= 3 else (Event.REOPEN if reopened == 0 else Event.REFER_ARBITRATION)
    proposal.appeal = wf.perform(proposal.appeal, event, by=actor, satisfaction=rating, resolved=rating >= 3, comment=comment, reason=comment, now=now)
    return proposal


def _require_proposal(proposal: Proposal) -> None:
    if not Proposal.objects.filter(pk=proposal.pk).exists():
        raise wf.ActionForbidden(gettext("这不是一件建议提案"))


def proposer_shown(proposal: Proposal, user: Any) -> dict[str, str]:
    """The proposer as this user may see them: the name in full for the roles that act on the
    proposal, 王** for the others; the phone in full for the liaison office only."""
    roles = roles_of(user)
    from minyi.core.pii import mask_name, mask_phone

    full_name = bool(roles & SEES_PROPOSER)
    return {
        "name": proposal.proposer_name if full_name else mask_name(proposal.proposer_name),
        "group": proposal.proposer_group,
        "phone": proposal.proposer_phone if roles & LIAISON_ROLES else mask_phone(proposal.proposer_phone),
    }
