"""What 答复质检 records around the reply steps, inside the action's transaction.

Registered in ``minyi.workflow.services.AFTER_TRANSITION`` by this app's ``ready()``:

- 提交答复 (reply): the check of the submitted reply, for the supervisor's figures;
- 审核通过 (approve_reply): the check of the reply that goes out. When it carries warnings, the
  approver's decision to send it anyway is recorded twice: on the check row (``sent_anyway``) and
  as an audited note on the appeal's timeline (``reply_qc_override``), naming the warnings;
- 审核退回 (reject_reply): the check of the reply sent back.
"""

from __future__ import annotations

from minyi.replyqc import services
from minyi.replyqc.models import ReplyCheck
from minyi.workflow.machine import Event
from minyi.workflow.services import Step, record_note

STAGES = {Event.REPLY: ReplyCheck.Stage.SUBMIT, Event.APPROVE_REPLY: ReplyCheck.Stage.APPROVE, Event.REJECT_REPLY: ReplyCheck.Stage.REJECT}
OVERRIDE_NOTE = "reply_qc_override"


def on_transition(step: Step) -> None:
    stage = STAGES.get(step.transition.event)
    if stage is None:
        return
    appeal = step.appeal
    result = services.check_appeal(appeal, appeal.reply_text)
    sent_anyway = stage == ReplyCheck.Stage.APPROVE and result.flagged
    ReplyCheck.objects.create(
        appeal=appeal,
        department_id=appeal.department_id,
        stage=stage,
        at=step.now,
        actor_id=step.actor.user_id,
        relevance=round(result.relevance, 4),
        completeness=round(result.completeness, 4),
        flagged=result.flagged,
        warnings=[{"code": w.code, "label": w.label, "reason": w.reason} for w in result.warnings],
        sent_anyway=sent_anyway,
    )
    if sent_anyway:
        labels = "、".join(w.label for w in result.warnings)
        record_note(
            appeal,
            by=step.actor,
            kind=OVERRIDE_NOTE,
            reason=f"答复质检提示“{labels}”，审核人确认仍予发送",
            payload={"warnings": result.codes(), "relevance": round(result.relevance, 3)},
            now=step.now,
        )
