"""The desks list the 催签 / 回访超期 reminders addressed to the logged-in user, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import time_machine
from django.test import Client

from minyi.accountability.models import Reminder
from minyi.accountability.scheduler import run_sweep
from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Department
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)


def _dispatched(appeal_in: Callable[..., Appeal], people: dict[str, Any], code: str, moment: dt.datetime) -> Appeal:
    with time_machine.travel(moment, tick=False):
        appeal = appeal_in(State.PENDING_DISPATCH)
        return services.dispatch_appeal(appeal, Department.objects.get(code=code), by=people["dispatcher"])


def _sweep(moment: dt.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        run_sweep()


def _reminder_list(client: Client, user: Any, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="reminders"' in body, "the reminder list is missing"
    return body.split('id="reminders"', 1)[1].split("</section>", 1)[0]


def test_a_handler_sees_its_departments_claim_reminders_newest_first(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]
) -> None:
    early = _dispatched(appeal_in, people, "zjj", MONDAY)  # claim due Tue 09:00
    late = _dispatched(appeal_in, people, "zjj", MONDAY + dt.timedelta(hours=6))  # claim due Tue 15:00
    elsewhere = _dispatched(appeal_in, people, "cgj", MONDAY)
    _sweep(MONDAY + dt.timedelta(days=1, hours=1))  # Tue 10:00: early and elsewhere are late
    _sweep(MONDAY + dt.timedelta(days=1, hours=7))  # Tue 16:00: late too
    assert Reminder.objects.filter(kind=Reminder.Kind.CLAIM).count() == 3
    callback = Reminder.objects.create(
        appeal=appeal_in(State.PENDING_CALLBACK), kind=Reminder.Kind.CALLBACK, due_at=MONDAY, department=Department.objects.get(code="zjj"),
        sent_at=MONDAY + dt.timedelta(days=2),
    )

    mine = _reminder_list(client, people["handler"], "/desk/inbox")
    assert "催签" in mine and "超时提醒" in mine
    assert early.number in mine and late.number in mine
    assert mine.index(late.number) < mine.index(early.number)  # newest first
    assert f'href="/appeals/{late.number}"' in mine
    assert elsewhere.number not in mine  # another department's
    assert callback.appeal.number not in mine  # 回访超期 is for operators and supervisors

    theirs = _reminder_list(client, people["other_handler"], "/desk/inbox")
    assert elsewhere.number in theirs and early.number not in theirs and late.number not in theirs
    # The digest went to the department's own handlers, not to a section's: so does the list.
    assert early.number not in _reminder_list(client, people["section_handler"], "/desk/inbox")

    for role, url in (("operator", "/desk/intake"), ("supervisor", "/desk/supervise")):
        central = _reminder_list(client, people[role], url)
        assert callback.appeal.number in central and "回访超期" in central
        assert early.number not in central  # 催签 is the department's business


def test_roles_that_get_no_reminders_see_no_list(client: Client, people: dict[str, Any]) -> None:
    for role, url in (("dispatcher", "/desk/intake"), ("leader", "/desk/supervise")):
        client.force_login(people[role])
        assert 'id="reminders"' not in client.get(url).content.decode()
