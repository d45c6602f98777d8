"""The dispatch queue while suggestions are still being computed in the background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from minyi.appeals.models import Appeal
from minyi.workflow.machine import State


def test_an_appeal_without_suggestions_yet_shows_analysing(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    waiting = appeal_in(State.PENDING_DISPATCH)
    Appeal.objects.filter(pk=waiting.pk).update(triage={})  # as between commit and the background job
    done = appeal_in(State.PENDING_DISPATCH)  # sync mode in tests: suggestions stored at intake
    client.force_login(people["dispatcher"])
    response = client.get("/desk/dispatch")
    assert response.status_code == 200
    rows = response.content.decode().split("<tr data-number=")
    pending = next(r for r in rows if r.startswith(f'"{waiting.number}"'))
    shown = next(r for r in rows if r.startswith(f'"{done.number}"'))
    assert 'data-triage="pending"' in pending and "分析中…" in pending
    assert "采纳建议" not in pending  # nothing to accept yet; 人工派单 stays
    assert "人工派单" in pending
    assert 'data-triage="pending"' not in shown
