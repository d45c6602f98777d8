"""Cockpit page, chart data, drill-down links and exports with masking by role."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from minyi.appeals.models import Appeal
from minyi.cockpit.tests.conftest import DAY

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def built(scenario: dict[str, Appeal]) -> dict[str, Appeal]:
    with time_machine.travel(DAY, tick=False):
        out = io.StringIO()
        call_command("cockpit", "rebuild", stdout=out, stderr=io.StringIO())
        assert json.loads(out.getvalue())["facts"] == 5
    return scenario


def test_leader_sees_cockpit_with_ranking_and_drilldowns(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    with time_machine.travel(DAY, tick=False):
        page = _client(people["leader"]).get("/cockpit/?period=2026-03")
        assert page.status_code == 200
        html = page.content.decode()
        assert "区城市管理局" in html
        assert "94.0" in html
        assert "52.5" in html
        ranking = page.context["ranking"]
        link = ranking[1]["link"]
        listed = _client(people["leader"]).get(link)
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 3  # a1 a2 a3 under 区住建局 and its section
    wall = _client(people["leader"]).get("/cockpit/?period=2026-03&wall=1")
    assert "数字驾驶舱" in wall.content.decode()


def test_today_totals_drill_to_the_same_count(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    with time_machine.travel(DAY, tick=False):
        page = _client(people["leader"]).get("/cockpit/")
        today = page.context["totals"][0]
        for key in ("created", "closed", "open"):
            count, link = today[key]
            assert _client(people["leader"]).get(link).context["page"].paginator.count == count


def test_handler_may_not_open_cockpit(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    assert _client(people["handler"]).get("/cockpit/").status_code == 403


def test_chart_data(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    data = _client(people["leader"]).get("/cockpit/data?period=2026-03").json()
    assert {r["name"]: r["value"] for r in data["mix"]["channel"]} == {"12345热线": 3, "苏商通": 2}
    # The district map: boundaries at the public GeoJSON URL, and every 街道/社区 with its count and its list.
    assert data["map"]["url"] == "/directory/district.geojson"
    cells = {c["name"]: c for c in data["map"]["cells"]}
    assert len(cells) == 20
    assert cells["枫亭社区"]["value"] == 2 and cells["青枫街道"]["value"] == 2 and cells["望月社区"]["value"] == 0
    listed = _client(people["leader"]).get(cells["枫亭社区"]["link"])
    assert listed.context["page"].paginator.count == 2
    assert sum(d["created"] for d in data["trend"]) == 5


def test_exports_mask_phone_for_leader_not_for_dispatcher(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    leader_csv = _client(people["leader"]).get("/cockpit/export/appeals?format=csv&channel=sst").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(leader_csv)))
    assert len(rows) == 3
    assert rows[1][7] == "138****5678"
    disp = _client(people["dispatcher"]).get("/cockpit/export/appeals?format=xlsx&channel=sst&full=1")
    ws = load_workbook(io.BytesIO(disp.content)).active
    assert ws is not None
    assert ws.cell(row=2, column=8).value == "13812345678"
    ranking = load_workbook(io.BytesIO(_client(people["leader"]).get("/cockpit/export/ranking?period=2026-03").content)).active
    assert ranking is not None
    assert [ranking.cell(row=r, column=2).value for r in (2, 3)] == ["区城市管理局", "区住房和城乡建设局"]
    assert ranking.cell(row=2, column=11).value == 94.0
