"""Audit rows that are not machine events still get a readable name on the timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from minyi.appeals.models import Appeal
from minyi.workflow import services as wf
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def test_reminder_and_note_rows_are_named_in_both_languages(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    reminder = wf.record_note(appeal, by=wf.SYSTEM, kind="claim_reminder")
    unknown = wf.record_note(appeal, by=wf.SYSTEM, kind="something_new")
    with translation.override("zh-hans"):
        assert reminder.event_label() == "催签提醒"
    with translation.override("en"):
        assert reminder.event_label() == "Claim reminder"
    assert unknown.event_label() == "something_new"
