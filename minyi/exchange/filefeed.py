"""The file connector: the 12345 platform's Excel export in, a return file (回传文件) out.

For upstreams that only exchange spreadsheets. The export is read with the bulk import's
strict reader (``minyi.api.importfile.read_table``: archive limits, encodings, row numbers).
Each row is an ``order`` event for the peer, applied exactly once like a pushed one (its id is
the order number and the exported state). The 工单状态 and 承办单位 columns are honoured: an
order exported as 办理中 is dispatched to its 承办单位 and claimed here, never left at 待派单;
one whose 承办单位 cannot be recognised is refused with its row number. A later export that
says 已办结 while the order is still open here is recorded as a mismatch, not applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from minyi.api.importer import DEFAULT_DATE_FORMATS, _text, parse_datetime
from minyi.api.importfile import ImportFileError, read_table
from minyi.appeals.models import Kind, Priority
from minyi.directory.models import Department
from minyi.exchange import protocol
from minyi.exchange.incoming import apply_event
from minyi.exchange.intake import UPSTREAM_DISPATCHED, UPSTREAM_IN_PROGRESS
from minyi.exchange.models import Link, Mismatch, OutboundEvent, Peer
from minyi.workflow.machine import STATE_LABELS, State

# Column names seen in 12345 exports, by field.
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("工单编号", "工单号", "编号"),
    "title": ("标题", "诉求标题", "工单标题"),
    "content": ("诉求内容", "内容", "来电内容", "问题描述"),
    "submitter_name": ("诉求人", "来电人", "姓名"),
    "phone": ("联系电话", "来电号码", "电话"),
    "address": ("地址", "诉求地址", "事发地址"),
    "kind": ("诉求类型", "工单类型"),
    "priority": ("紧急程度",),
    "category": ("分类编码", "诉求分类", "分类"),
    "status": ("工单状态", "状态"),
    "department": ("承办单位", "承办部门", "主办单位"),
    "claim_due_at": ("签收时限",),
    "reply_due_at": ("办理时限", "答复时限", "办结时限"),
    "created_at": ("登记时间", "来电时间", "派单时间"),
}
CLOSED = frozenset({"已办结", "办结", "已归档", "closed"})
KINDS: dict[str, str] = {str(label): str(value) for value, label in Kind.choices}
PRIORITIES: dict[str, str] = {str(label): str(value) for value, label in Priority.choices}


class FileFormatError(Exception):
    pass


@dataclass
class FileResult:
    created: int = 0
    known: int = 0
    mismatched: int = 0
    errors: list[str] = field(default_factory=list)


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for i, title in enumerate(header):
            if title.strip() in aliases:
                found[name] = i
                break
    missing = [COLUMNS[n][0] for n in ("order_id", "content", "status") if n not in found]
    if missing:
        raise FileFormatError(f"文件缺少列：{'、'.join(missing)}")
    return found


def _when(value: Any) -> str | None:
    moment = parse_datetime(value, DEFAULT_DATE_FORMATS) if value not in (None, "") else None
    return moment.isoformat() if moment is not None else None


def _department_known(peer: Peer, name: str) -> bool:
    return bool(name) and (name in peer.department_map or Department.objects.filter(name=name, active=True).exists())


def import_file(peer: Peer, path: str | Path, *, now: dt.datetime | None = None) -> FileResult:
    """Apply every row of the upstream's export; rows that cannot be applied are listed with their row number."""
    now = now or timezone.now()
    try:
        table = read_table(Path(path), "auto")
    except ImportFileError as exc:
        raise FileFormatError(exc.message) from exc
    col = _columns(table.header)
    result = FileResult()
    for raw in table.rows:
        cell = {name: _text(raw.cells[i]) if i < len(raw.cells) else "" for name, i in col.items()}
        order_id, status = cell["order_id"], cell["status"]
        if raw.problems or not order_id:
            result.errors.append(f"第 {raw.number} 行：{'；'.join(raw.problems) or '缺少工单编号'}")
            continue
        link = Link.objects.filter(peer=peer, order_id=order_id).select_related("appeal").first()
        if link is not None:
            if status in CLOSED and link.appeal.state not in (State.CLOSED, State.PENDING_CALLBACK, State.REPLIED):
                _mismatch(peer, link, status, now)
                result.mismatched += 1
            else:
                result.known += 1
            continue
        if status in CLOSED:
            result.errors.append(f"第 {raw.number} 行：工单 {order_id} 已办结，不再导入")
            continue
        if status not in UPSTREAM_DISPATCHED | UPSTREAM_IN_PROGRESS:
            result.errors.append(f"第 {raw.number} 行：无法识别的工单状态“{status}”")
            continue
        if status in UPSTREAM_IN_PROGRESS and not _department_known(peer, cell.get("department", "")):
            result.errors.append(
                f"第 {raw.number} 行：工单 {order_id} 已在办理中，但承办单位“{cell.get('department', '')}”在本平台找不到对应部门"
                "（请在对接平台的承办单位对照中添加）"
            )
            continue
        body = {
            "title": cell.get("title", ""),
            "content": cell["content"],
            "submitter_name": cell.get("submitter_name", ""),
            "phone": cell.get("phone", ""),
            "address": cell.get("address", ""),
            "kind": KINDS.get(cell.get("kind", ""), str(Kind.COMPLAINT)),
            "priority": PRIORITIES.get(cell.get("priority", ""), str(Priority.NORMAL)),
            "category": cell.get("category", ""),
            "department": cell.get("department", ""),
            "status": status,
            "claim_due_at": _when(raw.cells[col["claim_due_at"]]) if "claim_due_at" in col else None,
            "reply_due_at": _when(raw.cells[col["reply_due_at"]]) if "reply_due_at" in col else None,
        }
        try:
            outcome = apply_event(peer, {"event_id": f"file:{order_id}:{status}", "kind": protocol.ORDER, "order_id": order_id, "body": body}, now=now)
        except Exception as exc:
            result.errors.append(f"第 {raw.number} 行：{getattr(exc, 'messages', None) or exc}")
            continue
        if outcome == "applied":
            result.created += 1
        elif outcome == "mismatch":
            result.mismatched += 1
        else:
            result.known += 1
    return result


def _mismatch(peer: Peer, link: Link, status: str, now: dt.datetime) -> None:
    if Mismatch.objects.filter(peer=peer, link=link, event_kind="file", resolved_at__isnull=True).exists():
        return
    Mismatch.objects.create(
        peer=peer,
        link=link,
        order_id=link.order_id,
        event_kind="file",
        local_state=link.appeal.status,
        remote_state="closed",
        detail=f"上级导出为“{status}”，本地仍为“{STATE_LABELS[link.appeal.state]}”",
        found_at=now,
    )


RETURN_HEADER = ["工单编号", "本地编号", "工单状态", "承办单位", "签收时间", "答复时间", "答复内容", "延期申请(工作日)", "退单次数", "满意度", "事件"]


def export_file(peer: Peer, path: str | Path) -> int:
    """Write the return file for the upstream: one row per order it sent us, with the events since the last file.

    The events written are marked delivered in the same transaction as the file is produced;
    a file that is lost can be written again with ``--all`` semantics by re-exporting (the rows
    always carry the current state).
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "回传"
    sheet.append(RETURN_HEADER)
    with transaction.atomic():
        pending = list(OutboundEvent.objects.select_for_update().filter(peer=peer, delivered_at__isnull=True).order_by("id"))
        by_order: dict[str, list[str]] = {}
        for event in pending:
            by_order.setdefault(event.order_id, []).append(protocol.KIND_LABELS.get(event.kind, event.kind))
        count = 0
        for link in Link.objects.filter(peer=peer, direction=Link.Direction.IN).select_related("appeal__department").order_by("order_id"):
            a = link.appeal
            sheet.append(
                [
                    link.order_id,
                    a.number,
                    STATE_LABELS[a.state],
                    a.department.name if a.department else "",
                    timezone.localtime(a.claimed_at).strftime("%Y-%m-%d %H:%M:%S") if a.claimed_at else "",
                    timezone.localtime(a.replied_at).strftime("%Y-%m-%d %H:%M:%S") if a.replied_at else "",
                    a.reply_text,
                    a.extension_days_requested or "",
                    a.return_count,
                    a.satisfaction or "",
                    "、".join(by_order.get(link.order_id, [])),
                ]
            )
            count += 1
        book.save(str(path))
        OutboundEvent.objects.filter(pk__in=[e.pk for e in pending]).update(delivered_at=timezone.now())
    return count
