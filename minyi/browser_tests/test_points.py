"""一秤一码 on a phone: scan a scale's code, file a 缺斤短两 report, see it go to 市场监管 with the scale attached."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.appeals.models import Appeal
from minyi.browser_tests.conftest import login, new_page, shot
from minyi.directory.models import GridCell
from minyi.points import services
from minyi.points.models import Point
from minyi.points.services import PointData
from minyi.workflow.machine import State
from minyi.workflow.services import SYSTEM

pytestmark = pytest.mark.browser


def test_scan_a_scale_and_report_short_weight(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    base = live_server.url
    scale = services.create_point(
        PointData(kind=Point.Kind.SCALE, name="新丰农贸市场 A01 新丰猪肉 1号秤", grid=GridCell.objects.get(code="sqjd-xf"),
                  address="新丰路 66 号新丰农贸市场", market="新丰农贸市场", merchant="新丰猪肉", stall="A01",
                  verified_on=dt.date(2026, 6, 18), verification=Point.Verification.VALID),
        by=SYSTEM,
    )  # fmt: skip

    # The shopper scans the label: the scale, its merchant and its verification, and a report already titled.
    phone = new_page(browser, mobile=True)
    phone.goto(f"{base}/q/{scale.code}")
    assert phone.get_by_test_id("merchant").inner_text().startswith("新丰猪肉")
    assert phone.get_by_test_id("verification").inner_text() == "检定合格"
    assert phone.input_value("#id_title").startswith("缺斤短两")
    phone.fill("#id_content", "买五花肉两斤，到市场公平秤复称只有一斤八两，少了二两，摊主不肯退。")
    phone.fill("#id_phone", "13900006666")
    shot(phone, "points-1-scale-scanned")
    phone.get_by_role("button", name="提交").click()

    # Routed at once to 市场监管, the scale attached.
    number = phone.get_by_test_id("appeal-number").inner_text().strip()
    assert "区市场监督管理局" in phone.get_by_test_id("routing").inner_text()
    assert "缺斤短两" in phone.get_by_test_id("routing").inner_text()
    assert "新丰猪肉" in phone.get_by_test_id("point-card").inner_text()
    shot(phone, "points-2-routed")
    appeal = Appeal.objects.get(number=number)
    assert appeal.state is State.DISPATCHED and appeal.department is not None and appeal.department.code == "scj"
    assert appeal.point_link.point == scale

    # 市场监管's handler finds it on the scale's page.
    desk = new_page(browser)
    login(desk, base, "h-scj", DEMO_PASSWORD)
    desk.goto(f"{base}/points/{scale.code}")
    assert number in desk.content()
    assert "本月 1 件" in desk.get_by_test_id("point-month").inner_text()
    shot(desk, "points-3-scale-history")

    # An unknown code: a clear page, not the ordinary form.
    phone.goto(f"{base}/q/AAAAAAAAAAAA")
    assert "无法识别的二维码" in phone.content()
    phone.close()
    desk.close()


def test_service_map_on_a_phone_is_accessible_and_answers(browser: Any, live_server: Any, district_tx: None) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from minyi.points.demo import seed_points

    seed_points()
    page = new_page(browser, mobile=True)
    page.goto(f"{live_server.url}/portal/")
    page.get_by_role("link", name="办事网点").click()
    page.select_option("#near", label="青枫街道/枫亭社区")
    page.select_option("#service", label="医保服务点")
    page.get_by_role("button", name="查找").click()
    answer = page.get_by_test_id("answer").inner_text()
    assert answer.startswith("离枫亭社区最近的医保服务点是")
    assert page.locator("svg.schematic").count() == 2  # the close-up and the district, drawn without tiles
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    assert all(url.startswith(live_server.url) for url in requested), requested  # nothing from outside
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], results.generate_report()
    shot(page, "points-4-service-map")
    scale = Point.objects.filter(kind=Point.Kind.SCALE).first()
    assert scale is not None
    page.goto(f"{live_server.url}/q/{scale.code}")
    results = Axe().run(page)
    assert [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")] == [], results.generate_report()
    page.close()
