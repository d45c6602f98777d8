"""Bulk import: dry-run reports, malformed files leave the database unchanged, re-import adds nothing, resume."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from minyi.api.importer import Mapping, run_import, validate
from minyi.api.models import ImportRecord, ImportRun
from minyi.appeals.models import Appeal
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent
from minyi.workflow.services import SYSTEM, replay_state

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]
MAPPING = REPO / "examples" / "mappings" / "teddycup.toml"
HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签", "答复意见", "答复时间"]


def rows(n: int = 5) -> list[list[str]]:
    """Synthetic messages in the Teddy Cup layout (invented text)."""
    labels = ["城乡建设", "环境保护", "教育文体", "外星事务", ""]
    out = []
    for i in range(n):
        replied = i % 2 == 0
        out.append(
            [
                str(1000 + i),
                f"U{i:05d}",
                f"明湖小区第 {i} 号楼电梯故障",
                f"2019/4/{1 + i % 28} 9:{i % 60:02d}:00",
                f"明湖小区第 {i} 号楼电梯经常停运，老人上下楼很困难，请尽快处理。",
                labels[i % len(labels)],
                "已联系物业维修，电梯恢复运行。" if replied else "",
                f"2019/5/{1 + i % 28} 10:00:00" if replied else "",
            ]
        )
    return out


def write_csv(path: Path, data: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(data)
    return path


def snapshot() -> tuple[int, int, int, int]:
    return Appeal.objects.count(), AuditEvent.objects.count(), ImportRecord.objects.count(), ImportRun.objects.count()


def test_import_and_reimport(tmp_path: Path, district: None) -> None:
    path = write_csv(tmp_path / "export.csv", rows(10))
    outcome = run_import(path, Mapping.load(MAPPING), by=SYSTEM, batch_size=3)
    assert outcome.report.ok
    assert outcome.created == 10
    closed = Appeal.objects.filter(status=State.CLOSED)
    assert closed.count() == 5
    assert Appeal.objects.filter(status=State.PENDING_DISPATCH).count() == 5
    sample = closed.order_by("number").first()
    assert sample is not None
    assert sample.reply_text == "已联系物业维修，电梯恢复运行。"
    assert sample.replied_at is not None
    assert sample.closed_at == sample.replied_at
    assert sample.number.startswith("20190")  # numbered on the day it was registered
    assert sample.satisfaction is None  # never invented
    for appeal in Appeal.objects.all():
        assert replay_state(appeal) is appeal.state
    labelled = Appeal.objects.get(import_record__external_id="1000")
    assert labelled.category.code == "cxjs"
    assert labelled.department.code == "zjj"
    unknown = Appeal.objects.get(import_record__external_id="1003")  # 外星事务, not answered
    assert unknown.category is None
    assert unknown.department is None
    assert unknown.state is State.PENDING_DISPATCH
    answered = Appeal.objects.get(import_record__external_id="1004")  # no label, answered
    assert answered.category is None
    assert answered.department.code == "sjj-12345"
    before = snapshot()
    again = run_import(path, Mapping.load(MAPPING), by=SYSTEM)
    assert again.created == 0
    assert again.report.already_imported == 10
    assert snapshot() == before  # not even a run record


def test_dry_run_report(tmp_path: Path, district: None) -> None:
    data = rows(6)
    data.append(list(data[0]))  # duplicate id
    data.append([""] * len(HEADER))  # empty row
    path = write_csv(tmp_path / "export.csv", data)
    report_path = tmp_path / "report.json"
    call_command("import", str(path), "--mapping", str(MAPPING), "--dry-run", "--report", str(report_path))
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert report["rows"] == 7
    assert report["valid"] == 6
    assert report["duplicates"] == [{"row": 8, "external_id": "1000", "first_row": 2}]
    assert report["empty_rows"] == 1
    assert report["unknown_categories"] == {"外星事务": 1}
    assert snapshot() == (0, 0, 0, 0)


def test_resume_after_a_failed_batch(tmp_path: Path, district: None, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "export.csv", rows(9))
    from minyi.api import importer

    real = importer.import_history
    calls = {"n": 0}

    def flaky(items: Any, *, by: Any, checked: bool) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("connection lost")
        return real(items, by=by, checked=checked)

    monkeypatch.setattr(importer, "import_history", flaky)
    with pytest.raises(RuntimeError):
        run_import(path, Mapping.load(MAPPING), by=SYSTEM, batch_size=4)
    assert Appeal.objects.count() == 4  # the first batch is committed, the second rolled back
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED
    monkeypatch.setattr(importer, "import_history", real)
    resumed = run_import(path, Mapping.load(MAPPING), by=SYSTEM, batch_size=4)
    assert resumed.created == 5
    assert resumed.report.already_imported == 4
    assert Appeal.objects.count() == 9
    assert ImportRecord.objects.count() == 9


def test_xlsx(tmp_path: Path, district: None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows(4):
        sheet.append(row)
    path = tmp_path / "export.xlsx"
    book.save(path)
    outcome = run_import(path, Mapping.load(MAPPING), by=SYSTEM)
    assert outcome.report.ok
    assert outcome.created == 4


# ---- malformed files: a clear report, nothing written -------------------------------------


def _refused(path: Path, words: str, *, fatal: bool = True) -> dict[str, Any]:
    before = snapshot()
    report, _ = validate(path, Mapping.load(MAPPING))
    outcome = run_import(path, Mapping.load(MAPPING), by=SYSTEM)
    assert not outcome.report.ok
    assert outcome.created == 0
    text = report.fatal if fatal else json.dumps(report.as_dict(), ensure_ascii=False)
    assert words in text, text
    assert snapshot() == before
    return report.as_dict()


def test_wrong_encoding(tmp_path: Path, district: None) -> None:
    path = write_csv(tmp_path / "gbk.csv", rows(3), encoding="gbk")
    strict = tmp_path / "utf8.toml"
    strict.write_text(MAPPING.read_text(encoding="utf-8").replace('encoding = "auto"', 'encoding = "utf-8"'), encoding="utf-8")
    report, _ = validate(path, Mapping.load(strict))
    assert "编码" in report.fatal
    assert not report.ok
    utf16 = write_csv(tmp_path / "utf16.csv", rows(3), encoding="utf-16")
    _refused(utf16, "UTF-16")
    assert snapshot() == (0, 0, 0, 0)


def test_missing_columns(tmp_path: Path, district: None) -> None:
    header = [h for h in HEADER if h != "留言时间"]
    path = write_csv(tmp_path / "cols.csv", [r[:3] + r[4:] for r in rows(3)], header=header)
    _refused(path, "留言时间")


def test_broken_dates(tmp_path: Path, district: None) -> None:
    data = rows(4)
    data[1][3] = "去年春天"
    data[2][7] = "2019/13/45 25:00:00"
    report = _refused(write_csv(tmp_path / "dates.csv", data), "日期无法解析", fatal=False)
    assert [(d["row"], d["value"]) for d in report["unparseable_dates"]] == [(3, "去年春天"), (4, "2019/13/45 25:00:00")]


def test_empty_rows_and_bad_rows(tmp_path: Path, district: None) -> None:
    only_empty = write_csv(tmp_path / "empty.csv", [[""] * len(HEADER)] * 5)
    assert _refused(only_empty, "没有数据行")["empty_rows"] == 5
    data = rows(3)
    data[1][2] = ""  # no title
    data[2][4] = "短"  # content too short
    report = _refused(write_csv(tmp_path / "bad.csv", data), "请填写标题", fatal=False)
    assert {e["row"] for e in report["errors"]} == {3, 4}


def test_junk_file(tmp_path: Path, district: None) -> None:
    junk = tmp_path / "junk.xlsx"
    with junk.open("wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1024 * 1024))
    _refused(junk, "Excel")
    junk_csv = tmp_path / "junk.csv"
    junk.rename(junk_csv)
    _refused(junk_csv, "")
    assert (tmp_path / "junk.csv").stat().st_size == 50 * 1024 * 1024
    (tmp_path / "zero.csv").write_bytes(b"")
    _refused(tmp_path / "zero.csv", "文件为空")


def test_command_refuses_with_a_report(tmp_path: Path, district: None) -> None:
    data = rows(2)
    data[0][3] = "not a date"
    path = write_csv(tmp_path / "bad.csv", data)
    report_path = tmp_path / "r.json"
    with pytest.raises(CommandError):
        call_command("import", str(path), "--mapping", str(MAPPING), "--report", str(report_path), "--no-progress")
    assert json.loads(report_path.read_text(encoding="utf-8"))["date_error_count"] == 1
    assert snapshot() == (0, 0, 0, 0)


def test_bad_mapping(tmp_path: Path) -> None:
    from minyi.api.importer import ImportFileError

    bad = tmp_path / "m.toml"
    bad.write_text('source = "x"\n[columns]\ntitle = "标题"\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match="external_id"):
        Mapping.load(bad)


def test_hotline_mapping_with_kinds_phones_and_aliases(tmp_path: Path, district: None) -> None:
    header = [
        "工单编号",
        "来电时间",
        "来电人",
        "联系电话",
        "诉求类型",
        "问题分类",
        "标题",
        "诉求内容",
        "事发地址",
        "办理结果",
        "办结时间",
    ]
    data = [
        [
            "GD-1",
            "2024-03-01 08:00:00",
            "张三",
            "13900001111",
            "咨询",
            "物业",
            "物业费咨询",
            "想咨询物业费标准是多少。",
            "明珠苑",
            "已解答",
            "2024-03-01 09:00:00",
        ],
        [
            "GD-2",
            "2024-03-02 22:10:00",
            "李四",
            "13900002222",
            "投诉",
            "噪音",
            "夜间施工",
            "工地夜间施工噪声很大。",
            "枫亭苑",
            "",
            "",
        ],
    ]
    path = write_csv(tmp_path / "gd.csv", data, header=header)
    outcome = run_import(path, Mapping.load(REPO / "examples" / "mappings" / "hotline12345.toml"), by=SYSTEM)
    assert outcome.report.ok
    assert outcome.created == 2
    consult = Appeal.objects.get(import_record__external_id="GD-1")
    assert consult.kind == "consult"
    assert consult.category.code == "cxjs-wy"
    assert consult.phone == "13900001111"
    assert consult.state is State.CLOSED
    noise = Appeal.objects.get(import_record__external_id="GD-2")
    assert noise.category.code == "hjbh-zs"
    assert noise.state is State.PENDING_DISPATCH


def test_import_before_load_defaults_says_what_to_run(tmp_path: Path) -> None:
    """A database without the default directory: the error names the command that fixes it, and nothing is imported."""
    from minyi.directory.models import Channel

    Channel.objects.all().delete()  # the session's database has the defaults; this test's transaction does not
    path = write_csv(tmp_path / "m.csv", rows(2))
    with pytest.raises(CommandError) as caught:
        call_command("import", str(path), "--mapping", str(MAPPING), "--no-progress")
    assert "minyi load-defaults" in str(caught.value)
    assert not Appeal.objects.exists()
