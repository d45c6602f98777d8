"""The 12345 Excel export in (工单状态 and 承办单位 honoured), the return file out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from minyi.appeals import services as a
from minyi.exchange import filefeed
from minyi.exchange.models import Link, Mismatch, OutboundEvent, Peer
from minyi.workflow.machine import State
from minyi.workflow.services import SYSTEM

HEADER = ["工单编号", "标题", "诉求内容", "来电人", "联系电话", "诉求地址", "诉求类型", "工单状态", "承办单位", "办理时限"]


def export(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def file_peer(district: None) -> Peer:
    return Peer.objects.create(code="city-file", remote_code="minghu", name="市12345（文件）", kind=Peer.Kind.FILE, department_map={"市住建局明湖分局": "zjj"})


def test_states_and_departments_are_honoured(file_peer: Peer, tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.xlsx",
        [
            ["C-1", "路灯不亮", "明湖路一段路灯一周不亮", "张三", "13800138000", "明湖路", "投诉", "待派单", "", "2026-12-20 18:00:00"],
            ["C-2", "噪音", "每晚施工噪音扰民，请处理", "李四", "13900139000", "湖滨路", "投诉", "办理中", "区生态环境局", ""],
            ["C-3", "物业", "物业不作为，电梯常年故障", "王五", "", "", "投诉", "办理中", "市住建局明湖分局", ""],
            ["C-4", "未知", "承办单位在本区找不到对应部门", "", "", "", "投诉", "办理中", "外省某局", ""],
            ["C-5", "旧件", "已经办结的工单不再导入", "", "", "", "投诉", "已办结", "区生态环境局", ""],
        ],
    )
    result = filefeed.import_file(file_peer, path)
    assert (result.created, result.known, result.mismatched) == (3, 0, 0)
    assert len(result.errors) == 2 and "第 5 行" in result.errors[0] and "外省某局" in result.errors[0]
    states = {
        link.order_id: (link.appeal.state, link.appeal.department.code if link.appeal.department else None)
        for link in Link.objects.select_related("appeal__department")
    }
    assert states["C-1"] == (State.PENDING_DISPATCH, None)
    assert states["C-2"] == (State.IN_PROGRESS, "hbj")  # 办理中 stays 办理中, at its 承办单位
    assert states["C-3"] == (State.IN_PROGRESS, "zjj")  # through the peer's 承办单位 mapping
    assert Link.objects.get(order_id="C-1").upstream_reply_due_at is not None
    # The same file again: nothing new.
    again = filefeed.import_file(file_peer, path)
    assert (again.created, again.known) == (0, 3)


def test_closed_upstream_while_open_here_is_a_mismatch(file_peer: Peer, tmp_path: Path) -> None:
    filefeed.import_file(
        file_peer, export(tmp_path / "a.xlsx", [["C-2", "噪音", "每晚施工噪音扰民，请处理", "", "", "", "投诉", "办理中", "区生态环境局", ""]])
    )
    result = filefeed.import_file(
        file_peer, export(tmp_path / "b.xlsx", [["C-2", "噪音", "每晚施工噪音扰民，请处理", "", "", "", "投诉", "已办结", "区生态环境局", ""]])
    )
    assert result.mismatched == 1
    assert Link.objects.get(order_id="C-2").appeal.state is State.IN_PROGRESS
    assert Mismatch.objects.get().remote_state == "closed"


def test_return_file(file_peer: Peer, tmp_path: Path) -> None:
    filefeed.import_file(
        file_peer, export(tmp_path / "a.xlsx", [["C-2", "噪音", "每晚施工噪音扰民，请处理", "", "", "", "投诉", "办理中", "区生态环境局", ""]])
    )
    appeal = Link.objects.get(order_id="C-2").appeal
    a.reply_appeal(appeal, reply="已责令停工", by=SYSTEM)
    a.approve_reply(appeal, by=SYSTEM)
    assert OutboundEvent.objects.filter(peer=file_peer, delivered_at__isnull=True).count() == 1
    out = tmp_path / "return.xlsx"
    assert filefeed.export_file(file_peer, out) == 1
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "工单编号" and rows[1][0] == "C-2" and rows[1][2] == "待回访" and rows[1][6] == "已责令停工" and "答复" in rows[1][10]
    assert not OutboundEvent.objects.filter(peer=file_peer, delivered_at__isnull=True).exists()


def test_a_file_that_is_not_an_export(file_peer: Peer, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["甲", "乙"])  # type: ignore[union-attr]
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(filefeed.FileFormatError, match="工单编号"):
        filefeed.import_file(file_peer, tmp_path / "x.xlsx")
