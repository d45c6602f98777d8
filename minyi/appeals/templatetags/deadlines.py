"""``{% countdown appeal %}``: the live countdown to the deadline that matters now, coloured by urgency.

Which deadline depends on the step: 签收时限 while the appeal waits to be claimed, 答复时限 while
it is handled. A paused appeal (挂起) says so instead of counting. The text is computed here, so
the page reads right without JavaScript; ``minyi/countdown.js`` then counts down every 30 seconds
and turns the colour when the warning point or the deadline passes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from minyi.workflow.machine import State

register = template.Library()

_CLAIMING = {State.DISPATCHED}
_HANDLING = {State.IN_PROGRESS, State.RETURN_REQUESTED, State.SUSPENDED}


def remaining_text(delta: dt.timedelta) -> str:
    """“剩 2天3小时” / “超期 5小时12分”: days and hours, or hours and minutes under a day."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = gettext("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    elif hours:
        span = gettext("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    else:
        span = gettext("%(m)d分钟") % {"m": minutes}
    return (gettext("剩 %(span)s") if delta.total_seconds() >= 0 else gettext("超期 %(span)s")) % {"span": span}


def deadline_of(appeal: Any, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The deadline that counts now: its label, moment, warning point and state (normal/due_soon/overdue/paused)."""
    status = appeal.state
    if status in _CLAIMING and appeal.claim_due_at:
        label, due, warn = gettext("签收"), appeal.claim_due_at, None
    elif status in _HANDLING and appeal.reply_due_at:
        label, due, warn = gettext("答复"), appeal.reply_due_at, appeal.reply_warn_at
    else:
        return None
    if appeal.paused_at is not None or status is State.SUSPENDED:
        return {"label": label, "due": due, "warn": warn, "state": "paused", "text": gettext("暂停计时")}
    now = now or timezone.now()
    if now > due:
        state = "overdue"
    elif (warn is not None and now >= warn) or (warn is None and due - now < dt.timedelta(hours=4)):
        state = "due_soon"
    else:
        state = "normal"
    return {"label": label, "due": due, "warn": warn, "state": state, "text": remaining_text(due - now)}


@register.inclusion_tag("appeals/_countdown.html")
def countdown(appeal: Any) -> dict[str, Any]:
    return {"d": deadline_of(appeal)}
