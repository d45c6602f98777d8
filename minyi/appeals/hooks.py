"""Extension points run after intake and dispatch commits (triage suggestions, learning).

A hook that fails is logged; the appeal it was given is already committed and stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal

logger = logging.getLogger("minyi.hooks")

# Inside intake's transaction (outbox jobs): a failure rolls the intake back, nothing is half-done.
IN_INTAKE: list[Callable[[Appeal], None]] = []
AFTER_INTAKE: list[Callable[[Appeal], None]] = []
AFTER_DISPATCH: list[Callable[[Appeal, str], None]] = []


def run_in_intake(appeal: Appeal) -> None:
    for hook in IN_INTAKE:
        hook(appeal)


def run_after_intake(appeal: Appeal) -> None:
    for hook in AFTER_INTAKE:
        try:
            hook(appeal)
        except Exception:
            logger.exception("after-intake hook %s failed for %s", getattr(hook, "__name__", hook), appeal.number)


def run_after_dispatch(appeal: Appeal, source: str) -> None:
    for hook in AFTER_DISPATCH:
        try:
            hook(appeal, source)
        except Exception:
            logger.exception("after-dispatch hook %s failed for %s", getattr(hook, "__name__", hook), appeal.number)
