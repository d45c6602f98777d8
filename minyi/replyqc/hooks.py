"""What 答复质检 records around the reply steps, inside the action's transaction.

Registered in ``minyi.workflow.services.AFTER_TRANSITION`` by this app's ``ready()``:

- 提交答复 (reply): the check of the submitted reply, for the supervisor's figures;
- 审核通过 (approve_reply): the check of the reply that goes out. When it carries warnings, the
  approver's decision to send it anyway is recorded twice: on the check row (``sent_anyway``) and
  in the approval's own audit row (``audit_note``: its reason names the warnings, its payload
  carries ``reply_qc``), so the action still writes exactly one audit row;
- 审核退回 (reject_reply): the check of the reply sent back.
"""

from __future__ import annotations

from typing import Any

from minyi.appeals.models import Appeal
from minyi.replyqc import services
from minyi.replyqc.check import QcResult
from minyi.replyqc.models import ReplyCheck
from minyi.workflow.machine import Event, Transition
from minyi.workflow.services import Step

STAGES = {Event.REPLY: ReplyCheck.Stage.SUBMIT, Event.APPROVE_REPLY: ReplyCheck.Stage.APPROVE, Event.REJECT_REPLY: ReplyCheck.Stage.REJECT}
_RESULT = "_replyqc_result"


def _check(appeal: Appeal) -> QcResult:
    """The check of the appeal's stored reply, once per action (the audit note and the hook share it)."""
    cached: QcResult | None = getattr(appeal, _RESULT, None)
    if cached is None:
        cached = services.check_appeal(appeal, appeal.reply_text)
        setattr(appeal, _RESULT, cached)
    return cached


def audit_note(appeal: Appeal, transition: Transition) -> tuple[str, dict[str, Any]] | None:
    """For the approval's audit row: the warnings the approver chose to send the reply despite."""
    if transition.event is not Event.APPROVE_REPLY:
        return None
    result = _check(appeal)
    if not result.flagged:
        return None
    labels = "、".join(w.label for w in result.warnings)
    return f"答复质检提示“{labels}”，审核人确认仍予发送", {"reply_qc": {"warnings": result.codes(), "relevance": round(result.relevance, 3)}}


def on_transition(step: Step) -> None:
    stage = STAGES.get(step.transition.event)
    if stage is None:
        return
    appeal = step.appeal
    result = _check(appeal)
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
