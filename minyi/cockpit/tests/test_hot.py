"""Hot topics on synthetic appeals: a burst of lift complaints this week rises above steady background topics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.cockpit import hot
from minyi.cockpit.models import HotTopicSnapshot
from minyi.cockpit.tests.conftest import SHANGHAI, _new

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 27, 10, 0, tzinfo=SHANGHAI)
BACKGROUND = [
    ("青枫路夜间施工噪声扰民", "qfjd-ft"),
    ("桂园路垃圾清运不及时", "gyjd-jg"),
    ("运河码头占道经营", "lajd-yh"),
    ("科技城公交站点太远", "ytjd-kj"),
]
BURST = "明珠苑小区电梯故障困人，电梯维修不及时"


@pytest.fixture
def burst(people: dict[str, Any]) -> list[int]:
    op = people["operator"]
    for week in range(1, 5):  # steady: each background topic twice a week for 4 weeks
        for i, (title, grid) in enumerate(BACKGROUND):
            for j in range(2):
                _new(f"{title}（第{week}周{j}）", grid, op, TODAY - dt.timedelta(days=7 * week + i + j))
    _new("明珠苑电梯故障", "mhjd-mz", op, TODAY - dt.timedelta(days=20))  # one lift complaint a while ago
    ids = []
    for k in range(6):  # this week: six lift complaints in 明珠社区
        ids.append(_new(f"{BURST}{k}号楼", "mhjd-mz", op, TODAY - dt.timedelta(days=k % 5)).id)
    for i, (title, grid) in enumerate(BACKGROUND):  # and the background goes on as before
        for j in range(2):
            _new(f"{title}（本周{j}）", grid, op, TODAY - dt.timedelta(days=i % 3 + j))
    return ids


def test_the_burst_is_the_top_hot_topic(burst: list[int]) -> None:
    topics = hot.find(hot.appeal_docs(TODAY.date()), TODAY.date(), docs_per_cluster=6)
    assert topics
    top = topics[0]
    assert "电梯" in top.keywords
    assert top.size >= 6
    assert top.growth > 2
    assert top.places[0][0] == "明珠社区"
    assert set(burst) <= {int(i) for i in top.ids}
    # Steady background topics do not rise.
    assert all("电梯" in t.keywords or t.growth < top.growth for t in topics)


def test_snapshot_proposal_and_one_click_topic(burst: list[int], people: dict[str, Any]) -> None:
    with time_machine.travel(TODAY, tick=False):
        snap = hot.compute_and_store(TODAY.date(), docs_per_cluster=6)
    assert snap.topics[0]["size"] >= 6
    proposal = hot.propose(snap.topics)[0]
    assert proposal["title"].startswith("明珠社区")
    c = Client()
    c.force_login(people["leader"])
    response = c.post(f"/cockpit/hot/{snap.pk}/0/topic")
    assert response.status_code == 302
    from minyi.accountability.models import Topic

    topic = Topic.objects.get()
    assert topic.title == proposal["title"]
    assert set(burst) <= set(topic.appeals.values_list("id", flat=True))
    handler = Client()
    handler.force_login(people["handler"])
    assert handler.post(f"/cockpit/hot/{snap.pk}/0/topic").status_code == 403
    assert HotTopicSnapshot.objects.count() == 1
