"""Every workstation page runs a bounded number of SQL queries, whatever the number of appeals (as zulip asserts).

Each page is requested with a few appeals, then with three times as many: the count must not grow (no query per
row), and must stay under the page's budget. A change that adds a query per row fails here, long before a
district with a million appeals notices.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minyi.appeals.models import Appeal
from minyi.conftest import intake
from minyi.directory.models import Category, Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event

pytestmark = pytest.mark.django_db

# (role, path, budget): the budget is today's count plus a little room; raise it only with a reason.
PAGES = [
    ("operator", "/desk/intake", 14),
    ("dispatcher", "/desk/dispatch", 12),
    ("dispatcher", "/desk/dispatch?tab=returned", 12),
    ("handler", "/desk/inbox", 20),
    ("handler", "/desk/inbox?tab=doing", 20),
    ("supervisor", "/desk/supervise", 24),
    ("admin", "/appeals/", 11),
    ("admin", "/appeals/?status=in_progress&sla=overdue", 11),
    ("leader", "/cockpit/", 22),  # + the point ranking, the proposals year card and 答复质量 (one query each)
    ("supervisor", "/accountability/", 13),
]


def _make(people: dict[str, Any], n: int) -> list[Appeal]:
    zjj, category = Department.objects.get(code="zjj"), Category.objects.get(code="cxjs-sz")
    made = []
    for i in range(n):
        appeal = intake(by=people["operator"], title=f"明湖路路灯不亮（{i}）")
        if i % 2:
            appeal = wf.perform(appeal, Event.DISPATCH, by=people["admin"], department=zjj, category=category)
            if i % 4 == 1:
                appeal = wf.perform(appeal, Event.CLAIM, by=people["admin"])
        made.append(appeal)
    return made


def _count(client: Client, user: Any, path: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def test_pages_run_a_bounded_number_of_queries(client: Client, people: dict[str, Any]) -> None:
    _make(people, 4)
    few = {path: _count(client, people[role], path) for role, path, _ in PAGES}
    _make(people, 8)
    many = {path: _count(client, people[role], path) for role, path, _ in PAGES}
    for _role, path, budget in PAGES:
        assert many[path] == few[path], f"{path}: {few[path]} queries with 4 appeals, {many[path]} with 12 (a query per row?)"
        assert many[path] <= budget, f"{path}: {many[path]} queries, budget {budget}"


def test_the_appeal_page_does_not_grow_with_its_timeline(client: Client, people: dict[str, Any]) -> None:
    [appeal] = _make(people, 1)
    zjj, cgj = Department.objects.get(code="zjj"), Department.objects.get(code="cgj")
    appeal = wf.perform(appeal, Event.DISPATCH, by=people["admin"], department=zjj)
    short = _count(client, people["admin"], f"/appeals/{appeal.number}")
    for _ in range(3):  # a long history: returns and re-dispatches
        appeal = wf.perform(appeal, Event.RETURN, by=people["admin"], reason="非本单位职责")
        appeal = wf.perform(appeal, Event.APPROVE_RETURN, by=people["admin"], reason="同意退单")
        appeal = wf.perform(appeal, Event.DISPATCH, by=people["admin"], department=cgj if appeal.department_id == zjj.pk else zjj)
    long = _count(client, people["admin"], f"/appeals/{appeal.number}")
    assert long <= short + 2, f"appeal page: {short} queries with 3 timeline rows, {long} with 12"
    assert long <= 30


def test_the_partial_indexes_name_the_same_statuses_as_the_filters() -> None:
    """``overdue`` is written with SLA_OPEN so that PostgreSQL can use appeal_open_due; a new status must join it."""
    from minyi.appeals.models import SLA_OPEN
    from minyi.workflow.machine import State

    stopped = {State.NEW, State.CLOSED, State.REJECTED, State.MERGED, State.REPLIED, State.PENDING_CALLBACK}
    assert set(SLA_OPEN) == {s.value for s in State} - {s.value for s in stopped}
