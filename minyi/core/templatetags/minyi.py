"""Template helpers: translate labels that come from the pure domain modules."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def tr(label: str) -> str:
    """Translate a Chinese label from workflow tables (their msgids live in core/i18n_catalog.py)."""
    return gettext(label) if label else label
