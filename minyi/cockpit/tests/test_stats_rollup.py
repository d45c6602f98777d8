"""Live stats, rollups and rankings against the hand-computed scenario of conftest.py."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from minyi.appeals.models import Appeal
from minyi.cockpit import kpi, queries, rollup
from minyi.cockpit.models import AppealFact, DailyRollup
from minyi.cockpit.services import live_counts, stats
from minyi.cockpit.tests.conftest import DAY
from minyi.workflow import services as wf
from minyi.workflow.machine import Event

pytestmark = pytest.mark.django_db

MARCH = queries.period("2026-03")
ALL_RATES = {
    "response": 0.5,  # a1, b1 claimed on time / a1 a2 a3 b1 dispatched
    "resolution": 0.6667,  # a1, b1 resolved / a1 a2 b1 called back
    "satisfaction": 0.6,  # (1.0 + 0 + 0.8) / 3
    "on_time": 1.0,  # a1, b1 / a1, b1
    "return": 0.25,  # a3 / 4 dispatched
    "reopen": 0.3333,  # a2 / 3 rated
    "bad_rating_callback": 0.0,  # a2 bad-rated, not yet called back
}


def test_stats_rates_by_hand(scenario: dict[str, Appeal]) -> None:
    figures = stats()
    assert set(figures) == {"total", "by_status", "by_channel", "by_department", "rates"}
    assert figures["total"] == 5
    assert figures["rates"] == ALL_RATES


def test_stats_command_json_has_every_rate(scenario: dict[str, Appeal]) -> None:
    out = io.StringIO()
    call_command("stats", json=True, stdout=out)
    assert json.loads(out.getvalue())["rates"] == ALL_RATES


def test_rollup_rebuild_matches_live_counts(scenario: dict[str, Appeal]) -> None:
    with time_machine.travel(DAY, tick=False):
        result = rollup.rebuild()
    assert result["facts"] == 5 == AppealFact.objects.count()
    f = queries.summed("dept", MARCH)[()]
    assert f.counts.created == 5
    assert f.counts.open == 3
    assert f.counts.closed == 2
    assert f.dispatched_flow == 4
    assert f.closed_flow == 2
    assert f.rates == ALL_RATES
    with time_machine.travel(DAY, tick=False):
        assert live_counts() == f.counts
    # Every cube sums to the same totals.
    for cube in ("full", "grid", "channel", "kind", "category"):
        assert queries.summed(cube, MARCH)[()].counts == f.counts


def test_ranking_by_hand(scenario: dict[str, Appeal]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    rows = queries.ranking(MARCH)
    assert [(r["rank"], r["unit"].code) for r in rows] == [(1, "cgj"), (2, "zjj")]
    cgj, zjj = rows
    assert cgj["rates"] == {
        "response": 1.0, "resolution": 1.0, "satisfaction": 0.8, "on_time": 1.0,
        "return": 0.0, "reopen": 0.0, "bad_rating_callback": None,
    }  # fmt: skip
    assert cgj["score"] == 94.0  # 0.2 + 0.3 + 0.3*0.8 + 0.1 + 0.05 + 0.05
    # zjj includes its section 物业管理科 (a2).
    assert zjj["counts"].created == 3
    assert zjj["rates"] == {
        "response": 0.3333, "resolution": 0.5, "satisfaction": 0.5, "on_time": 1.0,
        "return": 0.3333, "reopen": 0.5, "bad_rating_callback": 0.0,
    }  # fmt: skip
    # 0.2*0.3333 + 0.3*0.5 + 0.3*0.5 + 0.1*1 + 0.05*(1-0.3333) + 0.05*(1-0.5) = 0.525
    assert zjj["score"] == 52.5
    assert f"unit={zjj['unit'].id}" in zjj["link"]
    assert "created_from=2026-03-01" in zjj["link"]


def test_ranking_weights_are_configurable(scenario: dict[str, Appeal], settings: Any) -> None:
    settings.MINYI_KPI = {"composite_weights": {"response": 0, "resolution": 0, "satisfaction": 0, "on_time": 0, "return": 1, "reopen": 0}}
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    rows = queries.ranking(MARCH)
    assert [(r["unit"].code, r["score"]) for r in rows] == [("cgj", 100.0), ("zjj", 66.67)]


def test_totals_grid_and_mix(scenario: dict[str, Appeal]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
        totals = {t["period"]: t for t in queries.totals(DAY.date())}
    assert totals["today"]["created"][0] == 5
    assert totals["today"]["open"][0] == 3
    assert totals["week"]["dispatched"][0] == 4
    assert totals["year"]["closed"][0] == 2
    assert "status=closed" in totals["month"]["closed"][1]
    streets = {row["cell"].code: row for row in queries.grid_table(MARCH)}
    assert streets["mhjd"]["counts"].created == 3
    assert streets["qfjd"]["counts"].created == 2
    assert {c["cell"].code: c["counts"].created for c in streets["mhjd"]["children"]} == {"mhjd-hb": 2, "mhjd-mz": 1}
    mix = queries.mix(MARCH)
    assert {r["name"]: r["value"] for r in mix["channel"]} == {"12345热线": 3, "苏商通": 2}
    assert {r["name"]: r["value"] for r in mix["kind"]} == {"投诉": 4, "求助": 1}
    trend = {d["day"]: d for d in queries.trend(MARCH)}
    assert trend["2026-03-10"] == {"day": "2026-03-10", "created": 5, "dispatched": 4, "closed": 2}
    assert trend["2026-03-11"]["created"] == 0


def test_incremental_refresh_follows_actions_and_deadlines(scenario: dict[str, Appeal], people: dict[str, Any]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    later = DAY + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        wf.perform(scenario["a3"], Event.CLAIM, by=people["admin"], now=later)
        assert rollup.refresh() == {"appeals": 1, "days": 1, "cells": 6}  # a3: one cell per cube
    zjj = {r["unit"].code: r for r in queries.ranking(MARCH)}["zjj"]
    assert zjj["rates"]["response"] == 0.6667  # a1 and now a3 of a1 a2 a3
    # Nothing changed: nothing to do.
    with time_machine.travel(later, tick=False):
        assert rollup.refresh()["appeals"] == 0
    # A month later the open appeals passed their reply limit with no write at all.
    month_later = DAY + dt.timedelta(days=40)
    with time_machine.travel(month_later, tick=False):
        assert queries.summed("dept", MARCH)[()].counts.overdue == 0
        rollup.refresh()
        overdue = queries.summed("dept", MARCH)[()].counts.overdue
    assert overdue == 2  # a2 and a3 (b2 was never dispatched, so it has no reply limit)
    assert DailyRollup.objects.filter(cube="dept").count() >= 1
    assert kpi.rates(queries.summed("full", MARCH)[()].counts)["response"] == 0.75
