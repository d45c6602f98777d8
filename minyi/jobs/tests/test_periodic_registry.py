"""What runs on a schedule, declared by the domains that own the work."""

from __future__ import annotations

import pytest

from minyi.jobs.celery_app import beat_schedule
from minyi.jobs.periodic import PERIODIC, run_periodic

pytestmark = pytest.mark.django_db


def test_domains_declare_their_periodic_work_and_beat_fires_each() -> None:
    assert {"sla.sweep", "cockpit.refresh", "cockpit.hot_topics", "webhooks.deliver"} <= set(PERIODIC)
    schedule = beat_schedule()
    assert schedule["relay"]["task"] == "minyi.jobs.relay"
    for name in PERIODIC:
        assert schedule[name]["args"] == [name]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize("name", ["sla.sweep", "cockpit.refresh", "cockpit.hot_topics", "webhooks.deliver"])
def test_each_periodic_task_runs_on_an_empty_district(name: str) -> None:
    assert run_periodic(name) is True
