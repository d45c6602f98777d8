"""A bulletin made right after a seed: its figures equal `stats --json --period`, it reads like the seeds, and it is A4.

Regression for issue 17: the bulletin read rollups nothing had refreshed ("全区共受理群众诉求0件"),
never carried the 交办/解决/剩余 sentence for 专题 and 政企早餐会, said "本周…较前几周" in a monthly
bulletin, was US Letter, and did not appear on /reports/ when made by the command line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from docx import Document

from minyi.appeals.demo import seed_demo
from minyi.cockpit.models import RollupState
from minyi.reports.models import Bulletin

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
ANCHOR = NOW.replace(hour=0)


def _docx_text(path: Path) -> tuple[str, object]:
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(paragraphs + cells), doc


@pytest.fixture
def seeded() -> None:
    with time_machine.travel(ANCHOR, tick=False):
        seed_demo(120, 7, anchor=ANCHOR)


def test_bulletin_right_after_seed_equals_stats(seeded: None, tmp_path: Path) -> None:
    assert not RollupState.objects.filter(refreshed_at__isnull=False).exists()  # nothing refreshed the rollups
    out = tmp_path / "b.docx"
    with time_machine.travel(NOW, tick=False):
        call_command("report", "bulletin", "--period", "2026-12", "--format", "docx", "--out", str(out), stdout=io.StringIO())
        buf = io.StringIO()
        call_command("stats", "--json", "--period", "2026-12", stdout=buf)
    stats = json.loads(buf.getvalue())
    text, doc = _docx_text(out)

    received = re.search(r"全区共受理群众诉求(\d+)件", text)
    assert received is not None
    assert int(received.group(1)) == stats["total"] > 0
    for label, key in (("响应率", "response"), ("解决率", "resolution"), ("满意率", "satisfaction"), ("按时办结率", "on_time")):
        value = stats["rates"][key]
        shown = "—" if value is None else f"{value * 100:.1f}%"
        assert f"{label}{shown}" in text, (label, shown)

    # The seeds' sentence, for the 政企早餐会 and for the 专题.
    lines = re.findall(r"共交办问题(\d+)件，解决(\d+)件，剩余(\d+)件正解决中", text)
    assert len(lines) >= 2
    assert "政企早餐会" in text and "专题" in text
    for assigned, solved, remaining in lines:
        assert int(assigned) == int(solved) + int(remaining)
    # A monthly bulletin speaks of the month.
    assert "本周" not in text and "前几周" not in text
    # 处办质效 ranking per unit.
    assert "综合得分" in text

    # GB/T 9704: A4 with the 版心's margins, 仿宋 body text.
    section = doc.sections[0]  # type: ignore[attr-defined]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    assert round(section.page_width.mm - section.left_margin.mm - section.right_margin.mm) == 156
    assert round(section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm) == 225
    xml = doc.element.xml  # type: ignore[attr-defined]
    assert 'w:eastAsia="仿宋_GB2312"' in xml and 'w:eastAsia="黑体"' in xml and 'w:eastAsia="楷体_GB2312"' in xml

    # The command line's bulletin is a draft on /reports/.
    b = Bulletin.objects.get()
    assert b.period == "2026-12" and b.status == Bulletin.Status.DRAFT
    assert b.content["figures"]["created"] == stats["total"]


def test_cli_bulletin_is_listed_on_reports(seeded: None, tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model

    with time_machine.travel(NOW, tick=False):
        call_command("report", "bulletin", "--period", "2026-12", "--format", "html", "--out", str(tmp_path / "b.html"), stdout=io.StringIO())
    c = Client()
    c.force_login(get_user_model().objects.get(username="leader"))
    page = c.get("/reports/").content.decode()
    b = Bulletin.objects.get()
    assert f'href="/reports/{b.pk}"' in page
    assert "命令行生成" in page


def test_bad_period_is_a_clear_error(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    for bad in ("2026-13", "2026-1x", "last-month"):
        with pytest.raises(CommandError, match="无法识别的统计期"):
            call_command("report", "bulletin", "--period", bad, "--format", "html", "--out", str(tmp_path / "x.html"))
    assert not Bulletin.objects.exists()


@pytest.mark.django_db
def test_the_bulletin_reports_reply_quality_per_department(people: Any, appeal_in: Any) -> None:
    """答复质量 (issue 20): the share of replies the check flagged, per department, in every format."""
    from minyi.reports import bulletin, render
    from minyi.workflow.machine import State

    appeal_in(State.REPLIED)  # a reply was submitted: the check recorded it
    content = bulletin.build("month", refresh=False)
    assert content["reply_quality"] and content["reply_quality"][0]["submitted"] >= 1
    assert "答复质量" in render.sections(content)
    assert "答复质量" in render.to_html(content)
