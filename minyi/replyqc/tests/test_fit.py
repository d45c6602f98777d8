"""答复质检 with the past-replies index: would the reply be found as this appeal's answer?"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from minyi.appeals.models import Appeal
from minyi.assistant import rerank
from minyi.assistant import services as assistant
from minyi.assistant.tests.test_harvest_similar import closed
from minyi.replyqc import services
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    assistant.forget_indexes()
    yield
    assistant.forget_indexes()

PLACES = ["明湖路", "湖滨村", "东门街", "西园小区", "南塘社区"]
TOPICS = [("路灯不亮", "路灯线路已修复，路灯恢复照明"), ("垃圾清运不及时", "环卫车辆已每日清运两次"), ("夜间施工噪音扰民", "施工单位已停止夜间施工")]


def test_a_reply_from_a_similar_case_is_judged_by_the_index(appeal_in: Callable[..., Appeal], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rerank, "MIN_QUERIES", 10)
    monkeypatch.setattr(assistant, "MIN_QUERIES", 10)
    for place in PLACES:
        for topic, done in TOPICS:
            closed(
                appeal_in,
                "complaint",
                f"{place}{topic}",
                f"{place}附近{topic}，已经好几天了，请尽快处理。",
                f"您好！您反映的“{place}{topic}”问题已收悉。经核实，{place}{done}。感谢您的监督！",
                5,
            )
    assistant.harvest()
    assert assistant.past_reply_index().reranker is not None
    appeal = appeal_in(State.IN_PROGRESS)
    Appeal.objects.filter(pk=appeal.pk).update(title="湖滨村路灯不亮", content="湖滨村附近路灯不亮，已经好几天了，请尽快处理。")
    appeal.refresh_from_db()
    own = "您好！您反映的“湖滨村路灯不亮”问题已收悉。经核实，湖滨村路灯线路已修复，路灯恢复照明。感谢您的监督！"
    slip = "您好！您反映的“东门街路灯不亮”问题已收悉。经核实，东门街路灯线路已修复，路灯恢复照明。感谢您的监督！"
    fit_own = services._fit_of(appeal.title, appeal.content, own)
    fit_slip = services._fit_of(appeal.title, appeal.content, slip)
    assert fit_own is not None and fit_slip is not None and fit_own > fit_slip
    result: Any = services.check_appeal(appeal, slip)
    assert "off_topic" in result.codes()
    assert "off_topic" not in services.check_appeal(appeal, own).codes()
