from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if mapping else None
