"""``{% reply_qc_panel appeal %}``: the check of a reply awaiting 审核, for the approver."""

from __future__ import annotations

from typing import Any

from django import template

from minyi.replyqc import services
from minyi.workflow.machine import State

register = template.Library()


@register.inclusion_tag("replyqc/_panel.html")
def reply_qc_panel(appeal: Any, actions: Any = None) -> dict[str, Any]:
    """Shown to whoever may approve the reply (the page's actions include 审核通过)."""
    may_approve = any(a.get("name") == "approve_reply" for a in actions or [])
    if appeal.status != State.REPLIED or not appeal.reply_text or not may_approve:
        return {"show": False}
    return {"show": True, "result": services.check_appeal(appeal, appeal.reply_text)}


@register.inclusion_tag("replyqc/_quality_table.html")
def reply_quality_table(start: Any, end: Any) -> dict[str, Any]:
    """答复质量 per department for [start, end): one line to put in the cockpit or a bulletin.

    ``{% load replyqc %}{% reply_quality_table period_start period_end %}``
    """
    return services.quality_context(start, end)


@register.inclusion_tag("replyqc/_quality_table.html")
def reply_quality_for(period: Any) -> dict[str, Any]:
    """The same table for a cockpit period (``cockpit.queries.Period``): ``{% reply_quality_for p %}``."""
    return services.quality_context(*period.bounds())
