"""Dispatch suggestions for the workstations, from the triage integration when a model is installed."""

from __future__ import annotations

from typing import Any


def for_text(text: str, *, address: str = "") -> dict[str, Any] | None:
    """The suggestion panel's data for free text, or None when no model is available."""
    try:
        from minyi.triage import integration
    except ImportError:
        return None
    return integration.suggest_for_text(text, address=address)
