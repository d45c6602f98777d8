"""Real-browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minyi.directory.defaults import load_defaults
from minyi.directory.models import Department

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("MINYI_ARTEFACTS", Path(__file__).resolve().parents[2] / "var" / "artefacts" / "screenshots"))

# Django's async-safety check trips over Playwright's event loop thread; the ORM calls
# in these tests run synchronously in the test thread, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def new_page(browser: Any, *, mobile: bool = False) -> Any:
    """A page in a Chinese-speaking browser: desktop for staff, a phone for citizens."""
    if mobile:
        return browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    return browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")


@pytest.fixture
def district_tx(transactional_db: None) -> None:
    if not Department.objects.exists():
        load_defaults()


def shot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
