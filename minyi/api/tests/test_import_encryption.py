"""Imported appeals are stored like any other: phones encrypted with SM4 and findable by the blind index."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from minyi.api.importer import Mapping, run_import
from minyi.appeals.models import Appeal
from minyi.workflow.services import SYSTEM

pytestmark = pytest.mark.django_db

MAPPING = Path(__file__).resolve().parents[3] / "examples" / "mappings" / "hotline12345.toml"
HEADER = ["工单编号", "来电时间", "来电人", "联系电话", "诉求类型", "问题分类", "标题", "诉求内容", "事发地址", "办理结果", "办结时间"]


def test_imported_phones_are_ciphertext_and_found_by_the_index(tmp_path: Path, district: None) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(30):
            phone = f"1390000{i:04d}"
            writer.writerow([f"E{i:04d}", "2026-11-02 09:00:00", "张三", phone, "投诉", "物业", f"电梯故障{i}", "电梯坏了三天。", "幸福小区", "", ""])
    run_import(path, Mapping.load(MAPPING), by=SYSTEM)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM appeals_appeal WHERE phone <> ''")
        stored = cursor.fetchall()
    assert len(stored) == 30
    assert not [phone for phone, _ in stored if "1390000" in phone], "a plaintext phone reached the table"
    assert all(phone.startswith("v") and index for phone, index in stored)
    found = Appeal.objects.with_phone("13900000007").get()
    assert found.phone == "13900000007" and found.title == "电梯故障7"
    # …and every page can read them back (the finding: imported rows made lists answer 500).
    assert sorted(a.phone for a in Appeal.objects.all())[0] == "13900000000"


def test_an_import_queues_suggestions_in_each_batch_and_dispatches_nothing(tmp_path: Path, district: None, settings: Any) -> None:
    from minyi.jobs import registry
    from minyi.jobs.models import Job
    from minyi.workflow.machine import State

    settings.MINYI_TRIAGE_SUGGEST_MODE = "async"
    settings.MINYI_JOBS_TRANSPORT = "inline"  # jobs wait in the outbox until drained below
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(12):
            reply = ("已修复", "2026-11-03 10:00:00") if i % 3 == 0 else ("", "")
            row = [f"T{i:04d}", "2026-11-02 09:00:00", "李四", f"1380000{i:04d}", "投诉", "物业", f"楼道燃气味{i}", "楼道里燃气味很浓。", "幸福小区"]
            writer.writerow([*row, *reply])
    run_import(path, Mapping.load(MAPPING), by=SYSTEM, batch_size=5)
    assert Job.objects.filter(topic="triage.suggest_imported").count() == 12  # written with each batch
    registry.drain()
    waiting = Appeal.objects.filter(status=State.PENDING_DISPATCH)
    assert waiting.count() == 8
    for appeal in waiting:
        assert appeal.triage["priority"] == "critical"  # the urgency rules ran …
        assert not appeal.audit.filter(event="dispatch").exists()  # … and nothing was dispatched behind a person's back
