"""A proposal's appeal is answered only with its 答复函 (``services.send_letter``).

Runs after every workflow transition, inside the action's transaction: a reply to a proposal's
appeal from the ordinary appeal page, whose text is not the proposal's letter, is refused and
rolled back, so no proposal is answered without its A/B/C classification.
"""

from __future__ import annotations

from minyi.workflow.machine import Event, TransitionError
from minyi.workflow.services import Step

LETTER_REQUIRED = "建议提案须以答复函答复：请在建议提案页面填写答复函并选择答复类别"


def on_transition(step: Step) -> None:
    if step.transition.event is not Event.REPLY:
        return
    from minyi.proposals.models import Proposal

    letter = Proposal.objects.filter(appeal_id=step.appeal.pk).values_list("letter_body", "classification").first()
    if letter is None:
        return
    body, classification = letter
    if not classification or body.strip() != step.input.reply.strip():
        raise TransitionError(LETTER_REQUIRED, code="proposal_letter")
