"""Each role's main page in a real browser, with a screenshot kept as an artefact; axe on the portal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from minyi.appeals.demo import DEMO_PASSWORD, seed_demo
from minyi.browser_tests.conftest import login, new_page, shot

pytestmark = pytest.mark.browser

ROLE_PAGES = [
    ("operator", "/desk/intake", "受理工作台"),
    ("dispatcher", "/desk/dispatch", "派单工作台"),
    ("handler", "/desk/inbox", "承办工作台"),
    ("supervisor", "/desk/supervise", "督办工作台"),
    ("leader", "/cockpit/", "数字驾驶舱"),
]


@pytest.mark.parametrize(("username", "path", "heading"), ROLE_PAGES)
def test_role_main_page(browser: Any, live_server: Any, district_tx: None, username: str, path: str, heading: str) -> None:
    # A little demo history, so the screenshots in docs/user-guide.md show real-looking queues.
    seed_demo(80, 7)
    call_command("cockpit", "rebuild", verbosity=0)
    page = new_page(browser)
    login(page, live_server.url, username, DEMO_PASSWORD)
    assert page.url.endswith(path)
    assert page.locator("h1").first.inner_text().startswith(heading)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # let chart animations settle so the screenshot shows them
    assert shot(page, f"role-{username}").stat().st_size > 0
    page.close()


def _serious(results: Any) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize(
    ("path", "name"),
    [("/portal/", "portal-submit"), ("/portal/track", "portal-track"), ("/portal/track?number=20260101-000001", "portal-not-found")],
)
def test_portal_pages_have_no_serious_accessibility_violations(browser: Any, live_server: Any, district_tx: None, path: str, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = new_page(browser, mobile=True)
    page.goto(f"{live_server.url}{path}")
    if name == "portal-not-found":  # the phone is typed, never part of the link
        page.get_by_label("手机号码").fill("13800000000")
        page.get_by_role("button", name="查询").click()
    results = Axe().run(page)
    assert _serious(results) == [], results.generate_report()
    shot(page, name)
    page.close()
