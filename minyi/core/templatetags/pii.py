"""``{% load pii %}``: mask personal data in lists, where nobody sees it in full (see ``minyi.core.pii``)."""

from __future__ import annotations

from django import template

from minyi.core import pii

register = template.Library()


@register.filter
def mask_pii(text: str | None) -> str:
    """ID, phone and bank-card numbers and e-mail addresses in free text, masked (apply before truncating)."""
    return pii.mask_text(text or "")


@register.filter
def mask_phone(phone: str | None) -> str:
    return pii.mask_phone(phone or "")
