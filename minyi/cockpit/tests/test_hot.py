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


def test_hot_topics_get_readable_names_not_keyword_triples() -> None:
    day = TODAY.date()
    filed = [hot.Doc(i, "电梯故障困人", day, "明珠社区", title=f"{i}号楼电梯故障", category="电梯维修") for i in range(4)]
    filed.append(hot.Doc(9, "电梯不运行", day, "湖滨社区", title="电梯不运行", category="物业服务"))
    places = [("明珠社区", 4), ("湖滨社区", 1)]
    assert hot.name_topic(filed, ["电梯", "故障", "困人"], places) == ("明珠社区电梯维修", "电梯维修")
    # No category: the first clause of the most central title, without its trailing number.
    free = [hot.Doc(1, "x", day, title="明珠苑小区电梯故障困人，电梯维修不及时3号楼"), hot.Doc(2, "y", day, title="电梯坏了")]
    assert hot.name_topic(free, ["电梯"], [("明珠社区", 1), ("湖滨社区", 1)]) == ("明珠苑小区电梯故障困人", "明珠苑小区电梯故障困人")
    # Nothing better: the key words.
    assert hot.name_topic([hot.Doc(1, "x", day)], ["噪声", "施工"], []) == ("噪声、施工", "噪声、施工")


def test_proposals_speak_of_the_window_they_measure() -> None:
    topic = {"label": "明珠社区电梯维修", "theme": "电梯维修", "size": 23, "baseline": 3.67, "growth": 5.14, "places": [["明珠社区", 20]]}
    assert hot.propose([topic])[0] == {"title": "明珠社区“电梯维修”问题专项治理", "why": "本周23件，较前几周周均3.67件增长5.14倍"}
    monthly = hot.propose([topic], window_days=31)[0]["why"]
    assert monthly == "本月23件，较前几个月月均3.67件增长5.14倍"
    assert "周" not in monthly
