"""Incremental refresh against a full rebuild, and the drill-down index (migration 0002)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import time_machine
from django.db import connection

from minyi.appeals.models import Appeal
from minyi.cockpit import queries, rollup
from minyi.cockpit.models import DIMENSIONS, MEASURES, AppealFact, DailyRollup
from minyi.cockpit.tests.conftest import DAY, _new
from minyi.directory.models import Category, Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event

pytestmark = pytest.mark.django_db

MARCH = queries.period("2026-03")
INDEX = "cockpit_rollup_cube_dept_day"


def _rollup_rows() -> list[tuple[Any, ...]]:
    return sorted(DailyRollup.objects.values_list("cube", "day", *DIMENSIONS, *MEASURES))


def _fact_rows() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in AppealFact._meta.concrete_fields]
    return sorted(AppealFact.objects.values_list(*fields))


def test_refresh_after_mixed_changes_equals_rebuild(scenario: dict[str, Appeal], people: dict[str, Any]) -> None:
    admin = people["admin"]
    cat = Category.objects.get(code="cxjs-sz")
    zjj, cgj = Department.objects.get(code="zjj"), Department.objects.get(code="cgj")
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    before = _rollup_rows()
    assert DailyRollup.objects.filter(cube="dept", day=DAY.date(), department_id=0).exists()  # b2, not yet dispatched

    def at(t: dt.datetime, event: Event, appeal: Appeal, **kw: Any) -> Appeal:
        with time_machine.travel(t, tick=False):
            return wf.perform(appeal, event, by=admin, now=t, **kw)

    # Day 1: a3 claimed (same cells, other measures); b2 dispatched (its 0-department cells empty out).
    d1 = DAY + dt.timedelta(days=1)
    at(d1, Event.CLAIM, scenario["a3"])
    at(d1, Event.DISPATCH, scenario["b2"], department=cgj, category=cat)
    with time_machine.travel(d1, tick=False):
        first = rollup.refresh()
    assert first["appeals"] >= 2  # a3, b2 (and any reply limit that passed)
    assert first["cells"] > 0
    # Day 2: a2 re-dispatched to another unit, b2 answered, a1 nothing, a new appeal received and dispatched.
    d2 = DAY + dt.timedelta(days=2)
    at(d2, Event.REDISPATCH, scenario["a2"], department=cgj, reason="属城管职责")
    b2 = at(d2, Event.CLAIM, Appeal.objects.get(pk=scenario["b2"].pk))
    at(d2, Event.REPLY, b2, reply="已清运")
    with time_machine.travel(d2, tick=False):
        c1 = _new("井盖缺失", "qfjd-ft", people["operator"], d2, kind="report")
    at(d2, Event.DISPATCH, c1, department=zjj, category=cat)
    with time_machine.travel(d2, tick=False):
        assert rollup.refresh()["appeals"] >= 3  # a2, b2, c1
    # A month later reply limits have passed with no write; refresh notices them too.
    later = DAY + dt.timedelta(days=40)
    with time_machine.travel(later, tick=False):
        rollup.refresh()
        refreshed, refreshed_facts = _rollup_rows(), _fact_rows()
        rollup.rebuild()
    assert refreshed != before
    assert not DailyRollup.objects.filter(cube="dept", day=DAY.date(), department_id=0).exists()
    assert refreshed_facts == _fact_rows()
    assert refreshed == _rollup_rows()
    assert queries.summed("dept", MARCH)[()].counts.overdue >= 1


def test_refresh_with_nothing_changed_changes_no_cell(scenario: dict[str, Appeal]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
        rows = _rollup_rows()
        assert rollup.refresh() == {"appeals": 0, "days": 0, "cells": 0}
    assert _rollup_rows() == rows


def test_python_and_sql_measures_agree_on_every_kind_of_fact(db: None) -> None:
    """refresh sums facts in Python, rebuild in SQL: the same cells and measures for any flags."""
    rng = random.Random(12345)
    day0 = dt.date(2026, 3, 1)

    def some_day() -> dt.date | None:
        return rng.choice([None, day0, day0 + dt.timedelta(days=rng.randrange(1, 4))])

    facts = [
        AppealFact(
            appeal_id=i,
            created_day=day0 + dt.timedelta(days=rng.randrange(3)),
            dispatched_day=some_day(),
            closed_day=some_day(),
            department_id=rng.choice([0, 3, 5]),
            category_id=rng.choice([0, 7]),
            category_l1_id=rng.choice([0, 1]),
            grid_id=rng.choice([0, 11]),
            street_id=rng.choice([0, 10]),
            channel_id=rng.choice([1, 2]),
            kind=rng.choice(["complaint", "help"]),
            status=rng.choice(["closed", "in_progress", "dispatched", "replied"]),
            claimed_on_time=rng.random() < 0.5,
            is_open=rng.random() < 0.5,
            overdue=rng.random() < 0.5,
            satisfaction=rng.choice([None, 1, 2, 3, 4, 5]),
            resolved=rng.choice([None, True, False]),
            closed_on_time=rng.choice([None, True, False]),
            returned=rng.random() < 0.5,
            reopened=rng.random() < 0.5,
            bad_rated=rng.random() < 0.5,
            bad_rating_called_back=rng.random() < 0.5,
        )
        for i in range(1, 301)
    ]
    AppealFact.objects.bulk_create(facts)
    rollup._write_rollups()
    in_python: dict[tuple[Any, ...], list[int]] = {}
    rollup._add_cells(facts, +1, in_python)
    in_sql = {row[: 2 + len(DIMENSIONS)]: list(row[2 + len(DIMENSIONS) :]) for row in _rollup_rows()}
    assert len(in_sql) > 100
    assert in_python == in_sql
    # Taking them all away again leaves nothing.
    rollup._add_cells(facts, -1, in_python)
    assert not any(any(m) for m in in_python.values())


def test_drill_index_is_migrated() -> None:
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, DailyRollup._meta.db_table)
    assert constraints[INDEX]["index"] is True
    assert constraints[INDEX]["columns"] == ["cube", "department_id", "day"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_drill_query_can_use_the_index(scenario: dict[str, Appeal]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    zjj = Department.objects.get(code="zjj")
    qs = DailyRollup.objects.filter(cube="full", day__gte=MARCH.start, day__lte=MARCH.end, department_id=zjj.id).values("category_id")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole anyway
    assert INDEX in qs.explain()
