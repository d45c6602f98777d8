"""The whole loop in a real browser: a citizen on a phone, dispatcher, handler, operator, and back.

1. a citizen submits on a phone-sized viewport
2. the dispatcher accepts the suggestion
3. the handler claims it and replies
4. the citizen rates it 不满意
5. it is rectified and reopened
6. the citizen rates it 满意, and it is closed
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.appeals.models import Appeal
from minyi.browser_tests.conftest import login, new_page, shot
from minyi.triage import integration
from minyi.triage.model import fit_model
from minyi.triage.tests.test_integration import synthetic
from minyi.workflow.machine import State

pytestmark = pytest.mark.browser

PHONE = "13900005555"


@pytest.fixture
def dispatch_model(settings: Any, tmp_path: Path) -> None:
    texts, labels = synthetic()
    model = fit_model(texts, labels, folds=3, target_precision=0.9)
    model.save(tmp_path / "story.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "story.npz")
    integration._cache.clear()


def staff(browser: Any, base: str, username: str) -> Any:
    page = new_page(browser)
    login(page, base, username, DEMO_PASSWORD)
    return page


def act(page: Any, base: str, number: str, action: str, fields: dict[str, str] | None = None) -> None:
    """Open the appeal page, unfold one action's form, fill it and submit."""
    page.goto(f"{base}/appeals/{number}")
    form = page.locator(f"form[action$='/act/{action}']")
    page.locator("details.action", has=form).locator("summary").click()
    for name, value in (fields or {}).items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "alert" not in (page.locator(".error").first.get_attribute("role") or "") if page.locator(".error").count() else True


def track(page: Any, base: str, number: str) -> None:
    """进度查询: the number comes in the link, the phone is typed (it never goes into a URL)."""
    page.goto(f"{base}/portal/track?number={number}")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="查询").click()


def citizen_rates(browser: Any, base: str, number: str, satisfaction: str, resolved: str, step: str) -> None:
    page = new_page(browser, mobile=True)
    track(page, base, number)
    page.get_by_role("link", name="评价办理结果").click()
    page.locator(f"input[name=satisfaction][value='{satisfaction}']").check()
    page.locator(f"input[name=resolved][value='{resolved}']").check()
    shot(page, f"story-{step}-rating")
    page.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in page.content()
    page.close()


def test_the_whole_story(browser: Any, live_server: Any, district_tx: None, dispatch_model: None) -> None:
    ensure_demo_accounts()
    base = live_server.url

    # 1. A citizen reports noise from a phone.
    phone = new_page(browser, mobile=True)
    phone.goto(f"{base}/portal/")
    phone.select_option("#id_kind", "complaint")
    phone.fill("#id_title", "工地夜间施工噪音扰民")
    phone.fill("#id_content", "青枫路附近工地连续三天晚上十点以后还在施工，噪音很大，孩子无法入睡，请查处。")
    phone.select_option("#id_grid", label="青枫街道/枫亭社区")
    phone.fill("#id_phone", PHONE)
    shot(phone, "story-1-citizen-submits")
    phone.get_by_role("button", name="提交").click()
    number = phone.get_by_test_id("appeal-number").inner_text().strip()
    shot(phone, "story-1-citizen-number")
    appeal = Appeal.objects.get(number=number)
    assert appeal.state is State.REGISTERED
    assert appeal.triage["departments"][0]["code"] == "hbj"

    # 2. The dispatcher accepts the suggestion in one click.
    desk = staff(browser, base, "dispatcher")
    row = desk.locator(f"tr[data-number='{number}']")
    assert "区生态环境局" in row.inner_text()
    shot(desk, "story-2-dispatcher-queue")
    row.get_by_role("button", name="采纳建议").click()
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED and appeal.department.code == "hbj"

    # 3. The handler claims it and replies.
    handler = staff(browser, base, "h-hbj")
    handler.locator(f"form[action$='/inbox/{number}/claim'] button").click()
    act(handler, base, number, "reply", {"reply": "已责令施工单位停止夜间施工，并安排夜间巡查。"})
    shot(handler, "story-3-handler-replied")
    operator = staff(browser, base, "operator")
    act(operator, base, number, "approve_reply")
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK

    # 4. The citizen is not satisfied.
    citizen_rates(browser, base, number, "2", "0", "4")
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED and appeal.reopen_count == 1
    assert appeal.priority == "urgent" and appeal.bad_rating_at is not None

    # 5. Rectified: the handler finds it under 整改, claims and replies again.
    handler.goto(f"{base}/desk/inbox?tab=rectify")
    assert number in handler.content()
    shot(handler, "story-5-handler-rectify")
    handler.locator(f"form[action$='/inbox/{number}/claim'] button").click()
    act(handler, base, number, "reply", {"reply": "整改：施工单位已调整工期，夜间停工并设置隔音屏障。"})
    act(operator, base, number, "approve_reply")

    # 6. The citizen is satisfied and the appeal is closed.
    citizen_rates(browser, base, number, "4", "1", "6")
    appeal.refresh_from_db()
    assert appeal.state is State.CLOSED and appeal.satisfaction == 4 and appeal.resolved is True
    assert appeal.bad_rating_callback_at is not None
    track(phone, base, number)
    assert phone.get_by_test_id("status").inner_text() == "已办结"
    shot(phone, "story-6-citizen-closed")
