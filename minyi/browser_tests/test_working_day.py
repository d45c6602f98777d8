"""Issue 17's working-day checks in a real browser: dispatch order, the callback form, editing an engagement,
deadline countdowns and the printed 工单."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from minyi.accountability.models import AnnualTopic, Engagement
from minyi.appeals import services
from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.appeals.models import Appeal
from minyi.browser_tests.conftest import login, new_page, shot
from minyi.directory.models import Category, Channel, Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State

pytestmark = pytest.mark.browser


def _intake(title: str, priority: str = "normal") -> Appeal:
    data = services.IntakeData(
        channel=Channel.objects.get(code="12345"), title=title, content=f"{title}，请尽快处理。来电人反映情况属实。", kind="complaint",
        priority=priority, phone="13812345678",
    )
    return services.intake_appeal(data, by=_user("operator"))[0]


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def _staff(browser: Any, base: str, username: str) -> Any:
    page = new_page(browser)
    login(page, base, username, DEMO_PASSWORD)
    return page


def test_dispatch_queue_puts_the_gas_leak_first(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    for i in range(3):
        _intake(f"小区绿化带杂草丛生{i}")
    gas = _intake("楼道里有很重的煤气味")
    services.raise_priority(gas, "critical", reason="来电人称闻到煤气味", by=_user("dispatcher"))
    page = _staff(browser, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}/desk/dispatch")
    first = page.locator("tbody tr").first
    assert first.get_attribute("data-number") == gas.number
    assert "特急" in first.inner_text()
    page.close()


def test_callback_needs_an_explicit_choice_and_a_method(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    appeal = _intake("路灯不亮")
    admin = _user("admin")
    zjj = Department.objects.get(code="zjj")
    for event, kw in ((Event.DISPATCH, {"department": zjj, "category": Category.objects.get(code="cxjs-sz")}), (Event.CLAIM, {}),
                      (Event.REPLY, {"reply": "已修复路灯"}), (Event.APPROVE_REPLY, {})):  # fmt: skip
        appeal = wf.perform(appeal, event, by=admin, **kw)
    page = _staff(browser, live_server.url, "operator")
    page.goto(f"{live_server.url}/appeals/{appeal.number}")
    form = page.locator("form[action$='/act/callback']")
    page.locator("details.action", has=form).locator("summary").click()
    assert form.locator("select[name='callback-satisfaction']").input_value() == ""
    assert form.locator("select[name='callback-method']").input_value() == ""
    form.locator("button[type=submit]").click()  # untouched: the browser refuses (required), nothing is recorded
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK
    form.locator("select[name='callback-method']").select_option("phone")
    form.locator("select[name='callback-satisfaction']").select_option("1")
    form.locator("select[name='callback-resolved']").select_option("1")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "相互矛盾" in page.content()  # 非常不满意 + 已解决: asked to confirm
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK
    shot(page, "callback-contradiction")
    page.close()


def test_an_engagement_can_be_edited(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    topic = AnnualTopic.objects.create(year=2026, title="优化营商环境")
    event = Engagement.objects.create(kind=Engagement.Kind.choices[0][0], date=dt.date(2026, 10, 27), topic=topic, place="区政务服务中心")
    page = _staff(browser, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/accountability/engagements/{event.pk}")
    date = page.locator("input[name='date']")
    assert date.get_attribute("type") == "date" and date.input_value() == "2026-10-27"
    date.fill("2026-10-28")
    page.locator("input[name='place']").fill("区行政中心三楼会议室")
    page.locator("form:has(input[name='action'][value='save']) button[type=submit]").click()
    page.wait_for_load_state()
    assert "活动记录已保存" in page.content()
    event.refresh_from_db()
    assert event.date == dt.date(2026, 10, 28) and event.place == "区行政中心三楼会议室"
    page.close()


def test_countdown_and_printing_a_work_order(browser: Any, live_server: Any, district_tx: None, tmp_path: Path) -> None:
    ensure_demo_accounts()
    appeal = _intake("井盖缺失", priority="urgent")
    appeal = wf.perform(appeal, Event.DISPATCH, by=_user("admin"), department=Department.objects.get(code="zjj"))
    page = _staff(browser, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}/appeals/{appeal.number}")
    countdown = page.locator("time.countdown").first
    assert countdown.inner_text().startswith("签收")
    assert "剩" in countdown.inner_text()
    page.get_by_role("link", name="打印工单").click()
    page.wait_for_load_state()
    assert "派单单" in page.locator("h1").inner_text()
    assert page.locator(".qr svg").count() == 1
    shot(page, "work-order-print")
    pdf = page.request.get(f"{live_server.url}/appeals/{appeal.number}/print.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "order.pdf"
    path.write_bytes(pdf.body())
    if shutil.which("pdftoppm"):  # the PDF renders: one A4 page rasterised at 150 dpi
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "order")], check=True)
        assert (tmp_path / "order.png").stat().st_size > 10_000
    page.close()
