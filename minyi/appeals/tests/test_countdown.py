"""Live deadline countdowns: the deadline that counts at each step, its text and colour; on the queues and the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.appeals.templatetags.deadlines import deadline_of, remaining_text
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def test_remaining_text_reads_as_chinese() -> None:
    assert remaining_text(dt.timedelta(days=2, hours=3, minutes=10)) == "剩 2天3小时"
    assert remaining_text(dt.timedelta(hours=5, minutes=12)) == "剩 5小时12分"
    assert remaining_text(dt.timedelta(minutes=9)) == "剩 9分钟"
    assert remaining_text(-dt.timedelta(hours=1, minutes=1)) == "超期 1小时1分"


def test_the_deadline_that_counts_follows_the_step(appeal_in: Any) -> None:
    dispatched = appeal_in(State.DISPATCHED)
    d = deadline_of(dispatched)
    assert d is not None and d["label"] == "签收" and d["due"] == dispatched.claim_due_at
    handling = appeal_in(State.IN_PROGRESS)
    d = deadline_of(handling)
    assert d is not None and d["label"] == "答复" and d["due"] == handling.reply_due_at
    paused = appeal_in(State.SUSPENDED)
    d = deadline_of(paused)
    assert d is not None and d["state"] == "paused" and d["text"] == "暂停计时"
    for done in (State.PENDING_DISPATCH, State.PENDING_CALLBACK, State.CLOSED):
        assert deadline_of(appeal_in(done)) is None


def test_colour_turns_at_the_warning_point_and_at_the_deadline(appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    assert deadline_of(appeal, appeal.reply_due_at - dt.timedelta(days=30))["state"] == "normal"  # type: ignore[index]
    assert deadline_of(appeal, appeal.reply_warn_at + dt.timedelta(minutes=1))["state"] == "due_soon"  # type: ignore[index]
    late = deadline_of(appeal, appeal.reply_due_at + dt.timedelta(hours=2))
    assert late is not None and late["state"] == "overdue" and late["text"].startswith("超期 2小时")


def test_queues_and_the_page_show_the_countdown(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    with time_machine.travel(appeal.reply_due_at + dt.timedelta(hours=3), tick=False):
        client.force_login(people["handler"])
        for url in ("/desk/inbox?tab=doing", "/appeals/", f"/appeals/{appeal.number}"):
            html = client.get(url).content.decode()
            assert 'class="countdown sla-overdue"' in html, url
            assert "超期 3小时" in html, url
            assert appeal.reply_due_at.astimezone(SHANGHAI).isoformat(timespec="seconds")[:19] in html, url


def test_the_list_filters_by_unit_category_and_date_range(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)  # dispatched to 区住建局, category 市政设施
    client.force_login(people["admin"])
    html = client.get("/appeals/").content.decode()
    for name in ('name="unit"', 'name="category"', 'type="date" name="created_from"', 'type="date" name="created_to"'):
        assert name in html
    day = appeal.created_at.astimezone(SHANGHAI).date()
    unit, category = appeal.department.parent_id or appeal.department_id, appeal.category_id
    found = client.get("/appeals/", {"unit": unit, "category": category, "created_from": day.isoformat(), "created_to": day.isoformat()})
    assert appeal.number in found.content.decode()
    later = client.get("/appeals/", {"created_from": (day + dt.timedelta(days=1)).isoformat()})
    assert appeal.number not in later.content.decode()
