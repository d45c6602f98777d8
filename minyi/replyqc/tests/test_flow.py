"""答复质检 in the loop: the handler's check, the approver's panel, the audited decision, the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.replyqc import services
from minyi.replyqc.models import ReplyCheck
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State
from minyi.workflow.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOD = "您好！您反映的明湖路路灯不亮问题已收悉。经核实，区住建局已于3月5日派人现场维修，目前路灯已恢复照明。感谢您的监督！"
WRONG = "您好！您反映的湖滨村垃圾清运不及时问题已收悉。经核实，湖滨村垃圾中转站车辆故障，已于3月6日调配车辆清运完毕。"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def replied(appeal_in: Callable[..., Appeal], people: dict[str, Any], reply: str) -> Appeal:
    appeal = appeal_in(State.IN_PROGRESS)
    return wf.perform(appeal, Event.REPLY, by=people["handler"], reply=reply)


def test_handler_checks_a_draft_and_nothing_is_recorded(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    response = login(people["handler"]).post(f"/replyqc/check/{appeal.number}", {"reply": WRONG})
    assert response.status_code == 200
    html = response.content.decode()
    assert "可能答非所问" in html and "湖滨村" in html
    assert "未发现问题" in login(people["handler"]).post(f"/replyqc/check/{appeal.number}", {"reply": GOOD}).content.decode()
    assert not ReplyCheck.objects.exists()


def test_other_department_cannot_check(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    assert login(people["other_handler"]).post(f"/replyqc/check/{appeal.number}", {"reply": GOOD}).status_code == 404


def test_approver_sees_the_warning_and_sending_anyway_is_audited(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = replied(appeal_in, people, WRONG)
    submit = ReplyCheck.objects.get(appeal=appeal, stage=ReplyCheck.Stage.SUBMIT)
    assert submit.flagged and not submit.sent_anyway
    assert submit.department_id == appeal.department_id
    page = login(people["operator"]).get(f"/appeals/{appeal.number}").content.decode()
    assert 'data-testid="replyqc-panel"' in page and "可能答非所问" in page and "湖滨村" in page
    # the handler's own page has no approver panel
    assert 'data-testid="replyqc-panel"' not in login(people["handler"]).get(f"/appeals/{appeal.number}").content.decode()
    wf.perform(appeal, Event.APPROVE_REPLY, by=people["operator"])
    check = ReplyCheck.objects.get(appeal=appeal, stage=ReplyCheck.Stage.APPROVE)
    assert check.flagged and check.sent_anyway and check.actor_id == people["operator"].pk
    approval = AuditEvent.objects.get(appeal=appeal, event=Event.APPROVE_REPLY)  # the one audit row of the action
    assert "可能答非所问" in approval.reason and "仍予发送" in approval.reason
    assert approval.actor_id == people["operator"].pk
    assert "off_topic" in approval.payload["reply_qc"]["warnings"]
    assert wf.replay_state(appeal) == State.PENDING_CALLBACK


def test_a_clean_reply_leaves_no_note(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = replied(appeal_in, people, GOOD)
    wf.perform(appeal, Event.APPROVE_REPLY, by=people["operator"])
    check = ReplyCheck.objects.get(appeal=appeal, stage=ReplyCheck.Stage.APPROVE)
    assert not check.flagged and not check.sent_anyway
    assert "答复质检" not in AuditEvent.objects.get(appeal=appeal, event=Event.APPROVE_REPLY).reason


def test_rejecting_is_recorded_but_is_not_sent_anyway(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    appeal = replied(appeal_in, people, WRONG)
    wf.perform(appeal, Event.REJECT_REPLY, by=people["operator"], reason="答非所问，请重写")
    check = ReplyCheck.objects.get(appeal=appeal, stage=ReplyCheck.Stage.REJECT)
    assert check.flagged and not check.sent_anyway


def test_department_figures_and_the_supervisor_board(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    wrong = replied(appeal_in, people, WRONG)
    replied(appeal_in, people, GOOD)
    wf.perform(wrong, Event.APPROVE_REPLY, by=people["operator"])
    now = timezone.now()
    rows = services.department_quality(now - dt.timedelta(days=1), now + dt.timedelta(minutes=1))
    assert len(rows) == 1
    row = rows[0]
    assert (row.submitted, row.submitted_flagged, row.approved, row.sent_anyway) == (2, 1, 1, 1)
    assert row.flagged_share == 0.5 and row.sent_anyway_share == 1.0
    page = login(people["supervisor"]).get("/replyqc/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "答复质量" in html and row.department in html and "50%" in html
    assert login(people["handler"]).get("/replyqc/").status_code == 403


def test_fit_on_the_archive_writes_weights_the_check_then_uses(
    appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MINYI_REPLYQC_MODEL = str(tmp_path / "replyqc.json")
    monkeypatch.setattr(services, "MIN_FIT", 20)
    with pytest.raises(ValueError, match="至少需要"):
        services.fit()
    places = ["明湖路", "湖滨村", "东门街", "西园小区", "南塘社区", "北苑大道", "青石桥", "柳岸花园"]
    topics = [("路灯不亮", "路灯已修复"), ("垃圾清运不及时", "已每日清运两次"), ("夜间施工噪音", "已停止夜间施工"), ("下水道堵塞", "已疏通管道")]
    for place in places:
        for topic, done in topics:
            a = appeal_in(State.PENDING_CALLBACK)
            Appeal.objects.filter(pk=a.pk).update(title=f"{place}{topic}", content=f"{place}附近{topic}，请尽快处理。", reply_text=f"经核实，{place}{done}。")
    data = services.fit()
    assert data["pairs"] >= 2 * 32
    assert set(data["weights"]) == set(services.FEATURES)
    assert services.weights() != services.DEFAULT_WEIGHTS
    appeal = Appeal.objects.get(title="明湖路路灯不亮")
    assert services.check_appeal(appeal, "经核实，明湖路路灯已修复。").relevance > services.check_appeal(appeal, "经核实，湖滨村已疏通管道。").relevance


def test_quality_table_tag_for_the_cockpit_and_bulletins(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    from django.template import Context, Template

    appeal = replied(appeal_in, people, WRONG)
    wf.perform(appeal, Event.APPROVE_REPLY, by=people["operator"])
    now = timezone.now()
    html = Template("{% load replyqc %}{% reply_quality_table start end %}").render(
        Context({"start": now - dt.timedelta(days=7), "end": now + dt.timedelta(minutes=1)})
    )
    assert "答复质量" in html and "100%" in html  # one reply, flagged, sent anyway
    empty = Template("{% load replyqc %}{% reply_quality_table start end %}").render(
        Context({"start": now - dt.timedelta(days=70), "end": now - dt.timedelta(days=60)})
    )
    assert "这段时间没有答复质检记录" in empty
