"""What accountability records around each transition, inside the action's transaction.

Registered in ``minyi.workflow.services.AFTER_TRANSITION`` by this app's ``ready()``:

- 退单 (return): a ReturnRecord per request, ruled on by the dispatcher; an accepted
  return is a training label for dispatch (``run_after_dispatch(appeal, "return_accepted")``).
- 督办/挂牌督办 fired by a person: a SupervisionOrder the department head answers in writing.
- 差评 (bad rating): a Rectification; the rectification reply starts the callback clock;
  the callback (or the arbitration) closes it.
- 合并 (merge): the main appeal's approved answer moves each sub to 待回访 with that answer.
- Entering 待回访: the citizen gets a signed rating link.
- Dispatch of an enterprise's appeal: its 首席服务专员 is told.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from minyi.accountability import config
from minyi.accountability.models import Enterprise, Rectification, ReturnRecord, SupervisionOrder
from minyi.core.notify import Notice
from minyi.core.pii import mask_text
from minyi.workflow.calendar import DAY
from minyi.workflow.machine import Event, State
from minyi.workflow.services import SYSTEM, Step, get_calendar

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal


def on_transition(step: Step) -> None:
    event = step.transition.event
    source = step.transition.source
    target = step.transition.target
    appeal = step.appeal
    if event is Event.RETURN:
        _record_return(step)
    elif source is State.RETURN_REQUESTED:
        _rule_on_return(step)
    if event in (Event.SUPERVISE, Event.LIST_SUPERVISE):
        issue_order(appeal, level=2 if event is Event.SUPERVISE else 3, reason=step.reason, by_label=step.actor.label, now=step.now)
    if event in (Event.REOPEN, Event.ARBITRATE_REOPEN):
        _open_rectification(step)
    if event in (Event.CLOSE, Event.REFER_ARBITRATION, Event.ARBITRATE_CLOSE):
        _close_rectification(step)
    if event is Event.MERGE:
        # Subs of an appeal that is itself merged follow the new main appeal.
        type(appeal).objects.filter(merged_into_id=appeal.pk).update(merged_into_id=appeal.merged_into_id)
    if event in (Event.APPROVE_REPLY, Event.CLOSE_DIRECTLY):
        _cascade_to_subs(step)
    if target is State.PENDING_CALLBACK:
        _rectification_replied(step)
        _send_rating_link(step)
    if event in (Event.DISPATCH, Event.REDISPATCH):
        _tell_service_officer(step)


def _record_return(step: Step) -> None:
    appeal = step.appeal
    assert appeal.department_id is not None  # RETURN is only declared from states that hold a department
    code = step.input.reason_code if step.input.reason_code in ReturnRecord.Code.values else ReturnRecord.Code.OTHER
    ReturnRecord.objects.create(
        appeal=appeal,
        department_id=appeal.department_id,
        code=code,
        reason=step.reason,
        requested_at=step.now,
        requested_by_id=step.actor.user_id,
    )


def _rule_on_return(step: Step) -> None:
    record = ReturnRecord.objects.filter(appeal=step.appeal, decision=ReturnRecord.Decision.PENDING).order_by("-id").first()
    if record is None:
        return
    event = step.transition.event
    decision = {
        Event.APPROVE_RETURN: ReturnRecord.Decision.ACCEPTED,
        Event.REDISPATCH: ReturnRecord.Decision.REDISPATCHED,
        Event.REJECT_RETURN: ReturnRecord.Decision.REJECTED,
    }.get(event)
    if decision is None:
        return
    record.decision = decision
    record.decision_reason = step.reason
    record.decided_at = step.now
    record.decided_by_id = step.actor.user_id
    record.new_department_id = step.appeal.department_id if event is Event.REDISPATCH else None
    record.save()
    if decision != ReturnRecord.Decision.REJECTED:
        appeal = step.appeal
        # The triage integration learns "not this department" from the returned-from unit.
        appeal.returned_from_department_id = record.department_id  # type: ignore[attr-defined]

        def learn() -> None:
            from minyi.appeals import hooks

            hooks.run_after_dispatch(appeal, "return_accepted")

        transaction.on_commit(learn)


def order_due(now: dt.datetime) -> dt.datetime:
    return get_calendar().add_working_time(now, DAY * int(config.get("order_response_days")))


def issue_order(appeal: Appeal, *, level: int, reason: str, by_label: str, now: dt.datetime) -> SupervisionOrder:
    order, _ = SupervisionOrder.objects.get_or_create(
        appeal=appeal,
        level=level,
        issued_at=now,
        defaults={
            "department_id": appeal.department_id,
            "reason": reason,
            "issued_by_label": by_label,
            "response_due_at": order_due(now),
        },
    )
    return order


def _open_rectification(step: Step) -> None:
    appeal = step.appeal
    rounds = Rectification.objects.filter(appeal=appeal).count()
    Rectification.objects.create(
        appeal=appeal,
        department_id=appeal.department_id,
        round=rounds + 1,
        satisfaction=appeal.satisfaction or 1,
        comment=appeal.rating_comment,
        opened_at=step.now,
    )


def _open_case(appeal: Appeal) -> Rectification | None:
    return Rectification.objects.filter(appeal=appeal, outcome=Rectification.Outcome.OPEN).order_by("-id").first()


def _rectification_replied(step: Step) -> None:
    case = _open_case(step.appeal)
    if case is None or case.rectified_at is not None:
        return
    case.rectified_at = step.now
    case.report = step.appeal.reply_text
    case.callback_due_at = get_calendar().add_working_time(step.now, DAY * int(config.get("callback_days")))
    case.save()


def _close_rectification(step: Step) -> None:
    event = step.transition.event
    if event is Event.ARBITRATE_CLOSE:
        case = Rectification.objects.filter(appeal=step.appeal).order_by("-id").first()
        if case is not None:
            case.outcome = Rectification.Outcome.ARBITRATED
            case.called_back_at = case.called_back_at or step.now
            case.save()
        return
    case = _open_case(step.appeal)
    if case is None:
        return
    case.called_back_at = step.now
    case.outcome = Rectification.Outcome.SATISFIED if event is Event.CLOSE else Rectification.Outcome.UNSATISFIED
    case.save()


def _cascade_to_subs(step: Step) -> None:
    from minyi.appeals.models import Appeal
    from minyi.workflow.services import perform

    main = step.appeal
    subs = list(Appeal.objects.filter(merged_into_id=main.pk, status=State.MERGED).order_by("id"))
    for sub in subs:
        perform(
            sub,
            Event.FOLLOW_MAIN,
            by=SYSTEM,
            reply=main.reply_text,
            department=main.department,
            reason=f"随主件 {main.number} 答复",
            now=step.now,
        )


def _send_rating_link(step: Step) -> None:
    from minyi.accountability.ratings import rating_url

    appeal = step.appeal
    if not appeal.phone:
        return
    step.notices.append(
        Notice(
            kind="rating_link",
            subject=f"诉求 {appeal.number} 已答复，请评价",
            body=appeal.reply_text[:200],
            appeal_number=appeal.number,
            extra={"phone": appeal.phone, "url": rating_url(appeal)},
        )
    )


def _tell_service_officer(step: Step) -> None:
    appeal = step.appeal
    if not appeal.credit_code:
        return
    enterprise = Enterprise.objects.filter(credit_code=appeal.credit_code, officer__isnull=False).first()
    if enterprise is None or enterprise.officer_id is None:
        return
    step.notices.append(
        Notice(
            kind="enterprise_appeal:officer",
            subject=f"您服务的企业“{enterprise.name}”有诉求 {appeal.number} 已派单",
            body=mask_text(appeal.title),
            user_ids=(enterprise.officer_id,),
            appeal_number=appeal.number,
        )
    )
