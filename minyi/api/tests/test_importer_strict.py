"""Strict reading of import files: stray quotes, NUL bytes, encodings, field counts, zip bombs.

Each test builds the broken file itself (the text of a hand-edited export) and checks that the
dry run names the row, and that the real run writes nothing at all.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from minyi.api.importer import Mapping, run_import, validate
from minyi.api.tests.test_importer import HEADER, MAPPING, rows, snapshot
from minyi.workflow.services import SYSTEM

pytestmark = pytest.mark.django_db


def csv_text(data: list[list[str]], header: list[str] = HEADER) -> str:
    """Rows joined by hand, unquoted: how a hand-edited file looks before a careful writer quotes it."""
    return "\n".join(",".join(r) for r in [header, *data]) + "\n"


def refused_with(path: Path, *, mapping: Mapping | None = None) -> dict[str, Any]:
    """The dry run fails, the real run writes nothing; returns the report."""
    mapping = mapping or Mapping.load(MAPPING)
    before = snapshot()
    report, _ = validate(path, mapping)
    assert not report.ok, report.summary()
    outcome = run_import(path, mapping, by=SYSTEM, batch_size=1000)
    assert outcome.created == 0
    assert snapshot() == before
    return report.as_dict()


def row_messages(report: dict[str, Any]) -> dict[int, str]:
    return {e["row"]: e["message"] for e in report["errors"]}


def test_stray_quote_swallowing_rows_is_reported_not_imported(tmp_path: Path, district: None) -> None:
    data = rows(30)
    data[4][4] = '"' + data[4][4]  # row 6: a stray quote opens a field...
    data[21][4] = data[21][4] + '"'  # ...and a quote 17 rows later closes it, so the field count still fits
    path = tmp_path / "stray.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    report = refused_with(path)
    messages = row_messages(report)
    assert 6 in messages and "引号" in messages[6], report["errors"]
    assert report["lines"] == 31  # header + 30 physical lines, whatever the parser made of them
    assert "引号" in validate(path, Mapping.load(MAPPING))[0].summary()


def test_unclosed_quote_at_the_end_is_reported_with_its_line(tmp_path: Path, district: None) -> None:
    data = rows(5)
    data[3][2] = '"' + data[3][2]  # row 5, never closed: the parser runs to the end of the file
    path = tmp_path / "open.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    report = refused_with(path)
    assert any(e["row"] == 5 and "引号" in e["message"] for e in report["errors"]), report["errors"]


def test_rows_with_the_wrong_number_of_fields(tmp_path: Path, district: None) -> None:
    data = rows(6)
    data[1][2] = "电梯故障,请尽快处理"  # an unquoted comma: one field too many (row 3)
    data[3] = data[3][:5]  # a truncated line (row 5)
    path = tmp_path / "fields.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    messages = row_messages(refused_with(path))
    assert "9 个字段" in messages[3] and "8 列" in messages[3]
    assert "5 个字段" in messages[5]


def test_quoted_multiline_content_and_doubled_quotes_are_fine(tmp_path: Path, district: None) -> None:
    data = rows(4)
    data[0][4] = '"第一段，说明情况。\n第二段，希望尽快处理。"'  # a real multi-line field
    data[1][2] = '"电梯""故障"", 请处理"'  # quoted field with doubled quotes and a comma
    path = tmp_path / "ok.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    report, good = validate(path, Mapping.load(MAPPING))
    assert report.ok, report.summary()
    assert report.lines == 6 and report.rows == 4 and report.multiline_rows == 1
    assert len(good) == 4


def test_nul_byte_deep_in_the_file_stops_the_import_before_anything_is_written(tmp_path: Path, district: None) -> None:
    data = rows(1500)
    data[1399][4] = "明湖小区电梯\x00故障，请尽快处理。"  # row 1,401 of data, line 1,401 after the header
    path = tmp_path / "nul.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    assert path.stat().st_size > 65536 * 2  # far beyond any sniffed prefix
    report = refused_with(path)
    assert "NUL" in row_messages(report)[1401]
    assert report["rows"] == 1500


def test_nul_byte_early_is_a_row_error_not_a_guess_at_utf16(tmp_path: Path, district: None) -> None:
    data = rows(4)
    data[1][2] = "电梯\x00故障"
    path = tmp_path / "nul3.csv"
    path.write_text(csv_text(data), encoding="utf-8")
    report = refused_with(path)
    assert "NUL" in row_messages(report)[3]


def test_utf8_file_with_a_gbk_row_is_refused_with_its_line(tmp_path: Path, district: None) -> None:
    data = rows(60)
    before, bad, after = csv_text(data[:49]), csv_text(data[49:50], header=[]).lstrip("\n"), csv_text(data[50:], header=[]).lstrip("\n")
    body = before.encode("utf-8") + bad.encode("gbk") + after.encode("utf-8")
    path = tmp_path / "mixed.csv"
    path.write_bytes(body)
    report = refused_with(path)
    assert "UTF-8" in report["fatal"] and "第 51 行" in report["fatal"], report["fatal"]


def test_undecodable_bytes_name_their_line(tmp_path: Path, district: None) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_text(rows(3)).encode("gbk") + b"\xff\xff\xff\n")
    strict = tmp_path / "gbk.toml"
    strict.write_text(MAPPING.read_text(encoding="utf-8").replace('encoding = "auto"', 'encoding = "gbk"'), encoding="utf-8")
    report = refused_with(path, mapping=Mapping.load(strict))
    assert "gbk" in report["fatal"] and "第 5 行" in report["fatal"], report["fatal"]


def test_encoding_option_of_the_command_overrides_the_mapping(tmp_path: Path, district: None) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text(rows(3)).encode("gb18030"))
    strict = tmp_path / "utf8.toml"
    strict.write_text(MAPPING.read_text(encoding="utf-8").replace('encoding = "auto"', 'encoding = "utf-8"'), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import", str(path), "--mapping", str(strict), "--dry-run", "--report", str(tmp_path / "r.json"))
    call_command("import", str(path), "--mapping", str(strict), "--encoding", "gb18030", "--no-progress")
    assert snapshot()[0] == 3


# ---- XLSX: the archive is inspected before openpyxl opens it --------------------------------


def _xlsx_with(tmp_path: Path, name: str, replace: dict[str, int]) -> Path:
    """A real workbook whose named members are replaced by ``size`` bytes of very compressible XML."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows(2):
        sheet.append(row)
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    out = tmp_path / name
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info, src.read(info.filename))
                continue
            chunk = b"<row><c><v>0</v></c></row>" * 40_000  # about 1 MB
            with dst.open(info.filename, "w") as fh:
                for _ in range(replace[info.filename] // len(chunk)):
                    fh.write(chunk)
    return out


def test_xlsx_zip_bomb_is_refused_quickly_with_little_memory(tmp_path: Path, district: None) -> None:
    bomb = _xlsx_with(tmp_path, "bomb.xlsx", {"xl/worksheets/sheet1.xml": 100 * 1024 * 1024})
    assert bomb.stat().st_size < 1024 * 1024  # ~100 MB of XML in well under 1 MB
    tracemalloc.start()
    try:
        report, _ = validate(bomb, Mapping.load(MAPPING))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "压缩" in report.fatal, report.fatal
    assert peak < 5 * 1024 * 1024, peak
    refused_with(bomb)


def test_xlsx_limits_on_members_and_sizes(tmp_path: Path, district: None, settings: Any) -> None:
    path = _xlsx_with(tmp_path, "big.xlsx", {})
    settings.MINYI_IMPORT_XLSX_LIMITS = {"max_members": 3}
    assert "文件数" in refused_with(path)["fatal"]
    settings.MINYI_IMPORT_XLSX_LIMITS = {"max_uncompressed_bytes": 2048}
    assert "解压后" in refused_with(path)["fatal"]
    settings.MINYI_IMPORT_XLSX_LIMITS = {}
    report, _ = validate(path, Mapping.load(MAPPING))
    assert report.ok, report.summary()


def test_file_size_cap_has_a_clear_message(tmp_path: Path, district: None, settings: Any) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_text(rows(50)), encoding="utf-8")
    settings.MINYI_IMPORT_MAX_BYTES = 1024
    fatal = refused_with(path)["fatal"]
    assert "文件过大" in fatal and "MINYI_IMPORT_MAX_BYTES" in fatal


def test_a_multi_line_reply_full_of_commas_is_not_mistaken_for_swallowed_rows(tmp_path: Path, district: None) -> None:
    """The real 附件4 has replies quoting rules line by line, with ASCII commas; only a line that starts with an id
    and has the header's width is a swallowed record."""
    import csv

    data = rows(3)
    data[1][6] = "经查,现答复如下:\n一,依据《物业管理条例》第二十条,业主委员会,物业公司,街道办事处,社区居委会,业主,租户应当协同,\n二,已督促整改。"
    path = tmp_path / "replies.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(data)
    report, _ = validate(path, Mapping.load(MAPPING))
    assert report.ok, report.summary()
