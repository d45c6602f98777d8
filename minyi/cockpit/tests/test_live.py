"""A live cockpit: the periodic jobs the in-process worker fires keep it current, and the page says how fresh it is.

Regression for issue 17: a new appeal reached the cockpit only after someone ran `minyi cockpit refresh`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.cli import demo_defaults
from minyi.cockpit import rollup
from minyi.cockpit.tests.conftest import DAY, _new
from minyi.jobs.periodic import PERIODIC, run_periodic

pytestmark = pytest.mark.django_db


def _leader(people: dict[str, Any]) -> Client:
    c = Client()
    c.force_login(people["leader"])
    return c


def test_the_worker_schedules_rollups_and_hot_topics() -> None:
    assert PERIODIC["cockpit.refresh"].every == 60
    assert PERIODIC["cockpit.hot_topics"].every == 3600
    env: dict[str, str] = {}
    demo_defaults(["minyi", "demo"], env)
    assert env["MINYI_JOBS_PERIODIC"] == "1"
    # `minyi serve` with the inline transport: its web workers fire them unless MINYI_JOBS_PERIODIC=0 says not to.
    from django.test import override_settings

    from minyi.core.gunicorn_app import web_periodic

    with override_settings(MINYI_JOBS_PERIODIC=False, MINYI_JOBS_PERIODIC_SET=False):
        assert web_periodic()
    with override_settings(MINYI_JOBS_PERIODIC=False, MINYI_JOBS_PERIODIC_SET=True):
        assert not web_periodic()


def test_new_appeal_reaches_the_cockpit_through_the_periodic_job(scenario: dict[str, Appeal], people: dict[str, Any]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    later = DAY + dt.timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        _new("桂花公园路灯不亮", "gyjd-jg", people["operator"], later)
        page = _leader(people).get("/cockpit/?period=2026-03")
        assert page.context["summary"].counts.created == 5  # not yet: the rollups are a minute behind at most
        assert "3 分钟前" in page.content.decode()
        assert run_periodic("cockpit.refresh", respect_interval=True)  # what the in-process worker / beat fires every minute
        page = _leader(people).get("/cockpit/?period=2026-03")
    assert page.context["summary"].counts.created == 6
    html = page.content.decode()
    assert "数据更新于 2026-03-10 10:03（0 分钟前），汇总每分钟自动更新" in html
    wall = _leader(people).get("/cockpit/?period=2026-03&wall=1")
    assert wall.context["summary"].counts.created == 6


def test_stale_figures_are_flagged_without_a_shell_command(scenario: dict[str, Appeal], people: dict[str, Any]) -> None:
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    with time_machine.travel(DAY + dt.timedelta(minutes=45), tick=False):
        html = _leader(people).get("/cockpit/?period=2026-03&wall=1").content.decode()
    assert "45 分钟前" in html
    assert "请联系系统管理员检查后台定时任务" in html
    assert "minyi" not in html.split("<body", 1)[1].split("<script", 1)[0]  # no command on a leader's screen


def test_never_built_says_so_in_chinese(people: dict[str, Any]) -> None:
    html = _leader(people).get("/cockpit/").content.decode()
    assert "汇总尚未生成，后台任务启动后一分钟内自动生成" in html
