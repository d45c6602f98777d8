"""Template helpers: translate labels that come from the pure domain modules."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext

register = template.Library()


@register.filter
def tr(label: str) -> str:
    """Translate a Chinese label from workflow tables (their msgids live in core/i18n_catalog.py)."""
    return gettext(label) if label else label


@register.filter
def isotime(value: str | None) -> str:
    """An ISO-8601 timestamp with an offset (as model metadata stores it, in UTC), shown in local time."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_naive(moment):
        return str(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
