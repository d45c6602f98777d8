"""``{% reply_public_form appeal %}``: the 答复公开 switch on the appeal page, for the roles that may use it."""

from __future__ import annotations

from typing import Any

from django import template

from minyi.appeals.models import Appeal
from minyi.appeals.services import PUBLISHES_REPLY
from minyi.core.roles import roles_of

register = template.Library()


@register.inclusion_tag("appeals/_reply_public.html", takes_context=True)
def reply_public_form(context: dict[str, Any], appeal: Appeal) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    may = bool(appeal.reply_text) and bool(roles_of(user) & PUBLISHES_REPLY)
    return {"appeal": appeal, "may_publish": may, "csrf_token": context.get("csrf_token")}
