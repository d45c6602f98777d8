"""答复质检 in a real browser: a handler pastes the reply of a different appeal; the approver sees why it looks wrong."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.browser_tests.conftest import login, new_page, shot
from minyi.conftest import intake, make_user, password_for
from minyi.directory.models import Category, Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State
from minyi.workflow.policy import Role

pytestmark = pytest.mark.browser

# The reply written for another appeal (垃圾清运 in 湖滨村), pasted by mistake.
OTHER_REPLY = "您好！您反映的湖滨村垃圾清运不及时问题已收悉。经核实，湖滨村垃圾中转站车辆故障，区环卫所已于3月6日调配车辆清运完毕。感谢您的监督！"


def test_pasted_reply_of_another_appeal_is_flagged_for_the_approver(browser: Any, live_server: Any, district_tx: None) -> None:
    operator = make_user("qc-op", Role.OPERATOR, "sjj-12345")
    handler = make_user("qc-hd", Role.HANDLER, "zjj")
    admin = make_user("qc-adm", Role.ADMIN, "sjj")
    appeal = intake(by=operator, title="明湖路路灯不亮", content="明湖路一段路灯已经一周不亮，晚上出行不安全。")
    wf.perform(appeal, Event.DISPATCH, by=admin, department=Department.objects.get(code="zjj"), category=Category.objects.get(code="cxjs-sz"))
    wf.perform(appeal, Event.CLAIM, by=handler)

    page = new_page(browser)
    login(page, live_server.url, handler.username, password_for(handler.username))
    page.goto(f"{live_server.url}/appeals/{appeal.number}")
    page.locator("summary", has_text="答复").first.click()
    page.fill("#id_reply-reply", OTHER_REPLY)
    page.get_by_test_id("replyqc-run").click()
    result = page.get_by_test_id("replyqc-result")
    result.wait_for()
    assert "可能答非所问" in result.inner_text()  # the handler is told before submitting
    page.get_by_role("button", name="确认答复").click()
    page.wait_for_load_state()
    page.close()

    appeal.refresh_from_db()
    assert appeal.state is State.REPLIED
    page = new_page(browser)
    login(page, live_server.url, operator.username, password_for(operator.username))
    page.goto(f"{live_server.url}/appeals/{appeal.number}")
    panel = page.get_by_test_id("replyqc-panel")
    text = panel.inner_text()
    assert "可能答非所问" in text
    assert "湖滨村" in text and "其他工单" in text  # the reason names what is wrong and what to check
    shot(page, "replyqc-approver-warning")
    page.locator("summary", has_text="审核通过").first.click()
    page.get_by_role("button", name="确认审核通过").click()
    page.wait_for_load_state()
    assert "审核人确认仍予发送" in page.locator(".timeline").inner_text()  # the decision, on the approval's own row
    page.close()
