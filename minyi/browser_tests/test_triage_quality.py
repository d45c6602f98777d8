"""智能派单质量 (/triage/quality) in a real browser: supervisors and leaders reach it from the navigation, handlers do not.

The clock is fixed (time-machine, ticking) so the periods' dates are known and the screenshot in
docs/triage-quality.md comes out the same on every run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts, seed_demo
from minyi.browser_tests.conftest import login, new_page, shot
from minyi.triage import integration, quality
from minyi.triage.model import fit_model
from minyi.triage.tests.test_integration import synthetic
from minyi.workflow.calendar import SHANGHAI

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
TRAINED_AT = "2026-12-01T02:00:00+00:00"
TRAINED_AT_LOCAL = "2026-12-01 10:00"  # shown in Asia/Shanghai
# Registered from local midnight N - 1 days ago until now.
PERIOD_TEXT = {
    7: "2026-11-26 至 2026-12-02 登记的诉求",
    30: "2026-11-03 至 2026-12-02 登记的诉求",
    90: "2026-09-04 至 2026-12-02 登记的诉求",
}
INTERVAL = re.compile(r"^\d{1,3}\.\d% – \d{1,3}\.\d%$")


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def quality_model(settings: Any, tmp_path: Path) -> Iterator[float]:
    """The tiny dispatch model of the story test, with a fixed training time; yields its threshold."""
    texts, labels = synthetic()
    model = fit_model(texts, labels, folds=3, target_precision=0.9)
    model.metadata = {**model.metadata, "trained_at": TRAINED_AT}
    model.save(tmp_path / "quality.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "quality.npz")
    integration._cache.clear()
    yield round(float(model.threshold), 4)
    integration._cache.clear()


def nav_link(page: Any) -> Any:
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name="派单质量", exact=True)


def figure_row(page: Any, label: str) -> list[str]:
    """The cells of one row of the 实测指标 table: 比例, 件数, 95% 区间, 说明."""
    row = page.locator("#figures tbody tr", has=page.locator("th", has_text=re.compile(f"^{label}$")))
    assert row.count() == 1, label
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def check_period(page: Any, days: int) -> None:
    """The page shows ``days``' period and the same figures as ``quality.compute(days)``."""
    report = quality.compute(days)
    assert page.locator("h1 small").inner_text().strip() == PERIOD_TEXT[days]
    assert page.locator("nav.tabs a[aria-current=page]").inner_text().strip() == f"最近 {days} 天"
    assert f"登记 {report.total.appeals} 件，其中有派单建议 {report.total.suggested} 件" in page.locator("#live-h + p").inner_text()
    for label, rate in (("覆盖率", report.coverage), ("建议与最终承办部门一致", report.agreement_final),
                        ("高置信建议实测准确率", report.confident_precision)):
        value, count, interval, _help = figure_row(page, label)
        assert count == f"{rate.hits} / {rate.n}", label
        assert rate.value is not None and value == f"{rate.value * 100:.1f}%", label
        if label == "高置信建议实测准确率":
            assert INTERVAL.match(interval), interval
            low, high = rate.interval  # type: ignore[misc]
            assert interval == f"{low * 100:.1f}% – {high * 100:.1f}%"


def test_supervisor_and_leader_see_the_live_figures(browser: Any, live_server: Any, district_tx: None, clock: None, quality_model: float) -> None:
    seed_demo(80, 7)  # anchored at midnight of the fixed day; suggestions from the installed model
    assert quality.compute(7).confident_precision.n > 0  # the 7-day period has decided confident suggestions to show
    page = new_page(browser)
    login(page, live_server.url, "supervisor", DEMO_PASSWORD)
    nav_link(page).click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/triage/quality"
    assert page.locator("h1").inner_text().startswith("智能派单质量")
    check_period(page, 30)

    model = page.locator("section", has=page.locator("h2", has_text="当前模型"))
    facts = dict(zip(model.locator("dt").all_inner_texts(), model.locator("dd").all_inner_texts(), strict=True))
    assert facts["训练时间"] == TRAINED_AT_LOCAL
    assert facts["置信度阈值"] == str(quality_model)
    assert facts["目标准确率"] == "90.0%"
    assert facts["自动派单"] == "已关闭"  # no setting names on a supervisor's page
    serving = page.locator("#models tbody tr", has_text="（当前）")
    assert serving.count() == 1 and serving.locator("td").first.inner_text().startswith(TRAINED_AT_LOCAL)
    assert page.locator("#categories tbody tr").count() > 1
    shot(page, "triage-quality")

    for days in (7, 90, 30):
        page.get_by_role("navigation", name="统计周期").get_by_role("link", name=f"最近 {days} 天").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/triage/quality?days={days}")
        check_period(page, days)
    assert quality.compute(7).total.appeals < quality.compute(90).total.appeals
    page.close()

    leader = new_page(browser)
    login(leader, live_server.url, "leader", DEMO_PASSWORD)
    nav_link(leader).click()
    leader.wait_for_load_state()
    assert leader.locator("h1 small").inner_text().strip() == PERIOD_TEXT[30]
    leader.close()


def test_a_handler_has_no_link_and_gets_403(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    page = new_page(browser)
    login(page, live_server.url, "handler", DEMO_PASSWORD)
    assert page.url.endswith("/desk/inbox")
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="诉求列表").count() == 1
    assert nav_link(page).count() == 0
    response = page.goto(f"{live_server.url}/triage/quality")
    assert response is not None and response.status == 403
    assert "您没有查看智能派单质量的权限" in page.content()
    assert "实测指标" not in page.content()
    page.close()
