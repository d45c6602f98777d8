"""The wall screen (大屏) and the district map in a real browser: contrast by axe-core, and a click on the map drills down.

axe-core comes from npm at install time (`make setup` puts it in var/axe/); it is injected into the
page and run for the colour-contrast rule only. Screenshots go to docs/img/ with `make screenshots`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from minyi.appeals.demo import DEMO_PASSWORD, seed_demo
from minyi.appeals.models import Appeal
from minyi.browser_tests.conftest import ARTEFACTS, login, new_page
from minyi.cockpit import hot, queries
from minyi.directory.models import GridCell

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "var" / "axe" / "axe.min.js"


@pytest.fixture
def cockpit_data(district_tx: None) -> None:
    seed_demo(120, 7)
    call_command("cockpit", "rebuild", verbosity=0)
    hot.compute_and_store(docs_per_cluster=6)


def _ready(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#chart-map[data-ready]", state="attached", timeout=15000)
    page.wait_for_timeout(1200)  # chart animations settle before axe looks at colours and before the screenshot


def test_wall_screen_is_dark_and_passes_axe_colour_contrast(browser: Any, live_server: Any, cockpit_data: None) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make setup`")
    # bypass_csp: the page allows no inline script, and axe is injected as one (it changes nothing the page draws).
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True)
    login(page, live_server.url, "leader", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/cockpit/?wall=1")
    _ready(page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}})")
    violations = [(n["target"], n.get("failureSummary", "")) for v in result["violations"] for n in v["nodes"]]
    assert violations == []
    assert result["passes"], "axe checked no text at all"
    assert page.locator("meta[http-equiv=refresh]").get_attribute("content") == "120"
    # Dark: the page's background is darker than its text.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert sum(int(v) for v in re.findall(r"\d+", background)[:3]) < 150, background
    # Designed for 1920 × 1080: everything on one screen, no scrolling.
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "cockpit-wall.png"))
    page.close()


def test_clicking_a_community_on_the_map_lists_its_appeals(browser: Any, live_server: Any, cockpit_data: None) -> None:
    page = new_page(browser)
    login(page, live_server.url, "leader", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/cockpit/")
    page.locator("#chart-map").scroll_into_view_if_needed()
    _ready(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#chart-map").screenshot(path=str(ARTEFACTS / "cockpit-map.png"))
    # The community with the most appeals this month, and how many the cockpit counts for it.
    month = queries.period("month")
    count, cell_id = max((c["counts"].created, c["cell"].pk) for s in queries.grid_table(month) for c in s["children"])
    target = GridCell.objects.get(pk=cell_id)
    # The pixel of a point inside the community, a little above its label point (the hot-topic markers sit below it).
    x, y = page.evaluate(
        """async (code) => {
            const geo = await (await fetch('/directory/district.geojson')).json();
            const f = geo.features.find((f) => f.properties.code === code);
            const chart = echarts.getInstanceByDom(document.getElementById('chart-map'));
            return chart.convertToPixel({geoIndex: 0}, [f.properties.cp[0], f.properties.cp[1] + 0.006]);
        }""",
        target.code,
    )
    box = page.locator("#chart-map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert "/appeals/" in page.url
    assert f"grid={target.pk}" in page.url
    heading = page.locator("h1").first.inner_text()
    shown = int(re.search(r"共\s*(\d+)\s*件", heading).group(1))  # type: ignore[union-attr]
    assert shown == count > 0  # the list behind the region is the month's appeals of that community
    numbers = page.locator("table.list tbody td:first-child a").all_inner_texts()
    assert set(Appeal.objects.filter(number__in=numbers).values_list("grid_id", flat=True)) == {target.pk}
    page.close()
