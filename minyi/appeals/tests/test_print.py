"""The printed 工单: A4, masked as the printing user sees it, with a QR code that opens the appeal."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from minyi.appeals.printing import qr_svg
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def test_print_page_is_masked_and_links_back(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["handler"])
    html = client.get(f"/appeals/{appeal.number}/print").content.decode()
    assert "办理单" in html and appeal.number in html and appeal.title in html
    assert "13812345678" not in html and "138****5678" in html
    assert "<svg" in html and "扫码查看办理进度" in html
    assert 'href="/appeals/' + appeal.number + '/print.pdf"' in html
    assert "打印工单" in client.get(f"/appeals/{appeal.number}").content.decode()


def test_another_departments_handler_cannot_print(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["other_handler"])
    assert client.get(f"/appeals/{appeal.number}/print").status_code == 404
    assert client.get(f"/appeals/{appeal.number}/print.pdf").status_code == 404


def test_the_pdf_is_one_a4_page(client: Client, people: dict[str, Any], appeal_in: Any, tmp_path: Path) -> None:
    appeal = appeal_in(State.DISPATCHED)
    client.force_login(people["dispatcher"])
    response = client.get(f"/appeals/{appeal.number}/print.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(response.content)
    assert response.content.startswith(b"%PDF")
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils (pdfinfo, pdftotext) not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "派单单" in text and appeal.number in text


def test_qr_is_vector_svg() -> None:
    svg = qr_svg("http://example.test/appeals/20261206-000001")
    assert svg.startswith("<svg") and "path" in svg
