"""Bulletins from the hand-built scenario: sentences, tables, formats, revise, publish numbering, PDF → PNG."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from docx import Document

from minyi.appeals.models import Appeal
from minyi.cockpit import rollup
from minyi.cockpit.tests.conftest import DAY, scenario  # noqa: F401  (the shared hand-built scenario)
from minyi.reports import bulletin, render, services
from minyi.reports.models import Bulletin

pytestmark = pytest.mark.django_db

ARTEFACTS = Path(settings.VAR_DIR) / "artefacts"


@pytest.fixture
def built(scenario: dict[str, Appeal]) -> dict[str, Appeal]:  # noqa: F811
    with time_machine.travel(DAY, tick=False):
        rollup.rebuild()
    return scenario


def test_content_has_factual_sentences_and_ranking(built: dict[str, Appeal]) -> None:
    c = bulletin.build("2026-03")
    overview = c["news"][0]["text"]
    assert "全区共受理群众诉求5件，交办4件，办结2件" in overview
    assert "目前在办3件" in overview
    zjj = next(n for n in c["news"] if n["heading"].startswith("区住房和城乡建设局"))
    # 区住建局 with its section: 3 dispatched this year, 1 closed (a1), 2 still being handled.
    assert "年初至今，共交办问题3件，解决1件，剩余2件正解决中" in zjj["text"]
    assert [row["unit"] for row in c["ranking"]] == ["区城市管理局", "区住房和城乡建设局"]
    assert c["ranking"][0]["satisfaction"] == "80.0%"


def test_formats_and_command(built: dict[str, Appeal], tmp_path: Path) -> None:
    out = tmp_path / "b.docx"
    call_command("report", "bulletin", "--period", "2026-03", "--format", "docx", "--out", str(out), stdout=io.StringIO())
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "明湖信息" in text
    assert "一、工作动态" in text
    assert "送：" in text
    html = render.to_html(bulletin.build("2026-03"))
    assert "本期目录" in html
    assert "<svg" in html


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed")
def test_pdf_renders_to_png_artefact(built: dict[str, Appeal]) -> None:
    pdf = render.to_pdf(bulletin.build("2026-03"), number="1")
    assert pdf.startswith(b"%PDF")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / "bulletin-2026-03.pdf"
    path.write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None
    subprocess.run([pdftoppm, "-png", "-r", "60", str(path), str(ARTEFACTS / "bulletin-2026-03")], check=True)  # noqa: S603 (fixed arguments)
    pages = sorted(ARTEFACTS.glob("bulletin-2026-03-*.png"))
    assert pages
    assert pages[0].stat().st_size > 5000  # a rendered page, not a blank one


def test_revise_then_publish_numbers_per_year(built: dict[str, Appeal], people: dict[str, Any]) -> None:
    c = Client()
    c.force_login(people["leader"])
    assert c.post("/reports/", {"period": "2026-03"}).status_code == 302
    b = Bulletin.objects.get()
    news = b.content["news"]
    response = c.post(
        f"/reports/{b.pk}",
        {
            "heading": [n["heading"] for n in news] + ["编者按"],
            "text": [n["text"] for n in news] + ["本期起按月刊发。"],
            "send": "送：区领导。",
            "issue": "发：各部门。",
        },
    )
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.content["news"][-1] == {"heading": "编者按", "text": "本期起按月刊发。"}
    assert b.content["send"] == "送：区领导。"
    c.post(f"/reports/{b.pk}/publish")
    second = services.publish_bulletin(services.draft_bulletin("2026-03", by=people["leader"]), by=people["leader"])
    b.refresh_from_db()
    assert (b.status, b.number, second.number) == ("published", 1, 2)
    assert b.year == second.year
    # Published bulletins are archived as they are: no more edits.
    c.post(f"/reports/{b.pk}", {"heading": ["x"], "text": ["y"], "send": "", "issue": ""})
    b.refresh_from_db()
    assert b.content["send"] == "送：区领导。"
    assert c.get(f"/reports/{b.pk}.docx").status_code == 200
    handler = Client()
    handler.force_login(people["handler"])
    assert handler.get("/reports/").status_code == 403
