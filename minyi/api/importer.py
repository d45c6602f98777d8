"""Bulk import of 12345 exports (CSV or XLSX) through a column mapping.

Two phases. ``validate`` reads the whole file and builds a report: file-level problems
(encoding, missing columns, not a spreadsheet), row errors, unparseable dates, empty
rows, duplicates inside the file, rows already imported and unknown categories. It
writes nothing. ``run_import`` refuses a file whose report has errors (the database
stays unchanged), then stores the rows in atomic batches through
``minyi.workflow.history.import_history``; each batch also records the identity
(source + external id → appeal) that makes a re-import, or a resumed import, skip
what is already there. Reading the file strictly (encodings, CSV grammar, NUL bytes,
XLSX archive limits) is in ``minyi.api.importfile``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minyi.api.importfile import ImportFileError, RawRow, read_table
from minyi.api.models import ImportRecord, ImportRun
from minyi.appeals.models import Kind
from minyi.appeals.services import IntakeData
from minyi.directory.models import Category, Channel, Department
from minyi.jobs.registry import enqueue_many
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.history import HistoricalAppeal, check, import_history, insert_rows
from minyi.workflow.machine import STATE_LABELS, State, TransitionError

FIELDS = ("external_id", "title", "content", "created_at", "submitter_name", "phone", "address", "category", "reply", "replied_at", "kind")
REQUIRED = ("external_id", "title", "content", "created_at")
DEFAULT_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
MAX_LISTED = 200  # problems listed one by one in the report; the counts are always complete


@dataclass(frozen=True)
class Mapping:
    source: str
    columns: dict[str, str]
    channel: str = "12345"
    encoding: str = "auto"
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    kind: str = Kind.COMPLAINT
    department: str = ""
    replied_state: str = State.CLOSED
    unreplied_state: str = State.PENDING_DISPATCH
    categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ImportFileError(f"无法读取映射文件 {path}：{exc}") from exc
        columns = dict(raw.get("columns", {}))
        unknown = sorted(set(columns) - set(FIELDS))
        missing = [f for f in REQUIRED if f not in columns]
        if unknown or missing or not raw.get("source"):
            raise ImportFileError(
                f"映射文件 {path} 不完整：须有 source 和 [columns] 的 {', '.join(REQUIRED)}"
                + (f"；未知字段 {', '.join(unknown)}" if unknown else "")
                + (f"；缺少 {', '.join(missing)}" if missing else "")
            )
        for key in ("replied_state", "unreplied_state"):
            if key in raw and raw[key] not in {s.value for s in State}:
                raise ImportFileError(f"映射文件 {path}：{key} 不是有效状态")
        return cls(
            source=str(raw["source"]),
            columns=columns,
            channel=str(raw.get("channel", "12345")),
            encoding=str(raw.get("encoding", "auto")),
            date_formats=tuple(raw.get("date_formats", DEFAULT_DATE_FORMATS)),
            kind=str(raw.get("kind", Kind.COMPLAINT)),
            department=str(raw.get("department", "")),
            replied_state=str(raw.get("replied_state", State.CLOSED)),
            unreplied_state=str(raw.get("unreplied_state", State.PENDING_DISPATCH)),
            categories=dict(raw.get("categories", {})),
        )


@dataclass
class Report:
    """What validation found. ``ok`` is False when the import would be refused."""

    file: str
    source: str
    rows: int = 0
    lines: int = 0  # physical lines, header included: compare with rows to see records spanning lines
    multiline_rows: int = 0
    valid: int = 0
    empty_rows: int = 0
    already_imported: int = 0
    fatal: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    unparseable_dates: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    unknown_categories: dict[str, int] = field(default_factory=dict)
    missing_optional_columns: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    date_error_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.fatal and self.error_count == 0 and self.date_error_count == 0

    def add(self, bucket: list[dict[str, Any]], item: dict[str, Any]) -> None:
        if len(bucket) < MAX_LISTED:
            bucket.append(item)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}

    def summary(self) -> str:
        if self.fatal:
            return f"无法导入：{self.fatal}"
        lines = [
            f"文件 {self.file}：数据行 {self.rows}，可导入 {self.valid}，已导入过 {self.already_imported}，"
            f"文件内重复 {len(self.duplicates)}，空行 {self.empty_rows}",
            f"物理行 {self.lines}（含表头），其中 {self.multiline_rows} 条记录跨多行",
            f"行错误 {self.error_count}，日期无法解析 {self.date_error_count}，"
            f"未知分类 {sum(self.unknown_categories.values())} 行 {sorted(self.unknown_categories)}",
        ]
        for item in (self.errors + self.unparseable_dates)[:10]:
            where = f"第 {item['row']} 行" + (f"（文本第 {item['line']} 行起）" if item.get("line", item["row"]) != item["row"] else "")
            lines.append(f"  {where} {item.get('column', '')}：{item['message']}")
        lines.append("校验通过" if self.ok else "校验未通过：请修正后重试（数据库未改动）")
        return "\n".join(lines)


@dataclass
class Row:
    number: int  # row in the file, header = 1
    external_id: str
    item: HistoricalAppeal


# ---- reading -------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---- validating ----------------------------------------------------------------------


def parse_datetime(value: Any, formats: tuple[str, ...]) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=SHANGHAI)
    text = str(value or "").strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


def _defaults_hint() -> str:
    """What to do about a code the database lacks: on a database without the default directory, load it first."""
    if not Channel.objects.exists() or not Category.objects.exists():
        return "。数据库中还没有渠道、部门和分类等基础数据，请先运行 minyi load-defaults 载入默认目录，再重新导入。"
    return "。请在管理后台的目录中添加该编码，或修改映射文件。"


class _Lookups:
    def __init__(self, mapping: Mapping) -> None:
        try:
            self.channel = Channel.objects.get(code=mapping.channel)
        except Channel.DoesNotExist:
            raise ImportFileError(f"映射文件中的渠道编码 {mapping.channel!r} 不存在{_defaults_hint()}") from None
        self.department_id: int | None = None
        if mapping.department:
            found = Department.objects.filter(code=mapping.department).values_list("pk", flat=True).first()
            if found is None:
                raise ImportFileError(f"映射文件中的部门编码 {mapping.department!r} 不存在{_defaults_hint()}")
            self.department_id = found
        self.kinds = {str(label): str(value) for value, label in Kind.choices}  # 投诉 → complaint
        by_code = {c.code: c for c in Category.objects.filter(active=True)}
        self.categories = {c.name: c for c in by_code.values() if c.level == 1}
        for name, code in mapping.categories.items():
            if code not in by_code:
                raise ImportFileError(f"映射文件中分类 {name!r} 对应的编码 {code!r} 不存在{_defaults_hint()}")
            self.categories[name] = by_code[code]


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def validate(path: str | Path, mapping: Mapping) -> tuple[Report, list[Row]]:
    """Read and check the whole file; return the report and the rows that would be imported."""
    path = Path(path)
    report = Report(file=str(path), source=mapping.source)
    rows: list[Row] = []
    try:
        table = read_table(path, mapping.encoding)
        header = table.header
        lookups = _Lookups(mapping)
        index = {name: i for i, name in enumerate(header)}
        missing = [f"{mapping.columns[f]}（{f}）" for f in REQUIRED if mapping.columns[f] not in index]
        if missing:
            raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}；文件的列为：{'、'.join(header[:20])}")
        col = {f: index.get(name) for f, name in mapping.columns.items()}
        report.missing_optional_columns = [f"{name}（{f}）" for f, name in mapping.columns.items() if col[f] is None]
        seen: dict[str, int] = {}
        for raw in table.rows:
            number = raw.number
            if raw.problems:  # the record itself is broken: its fields cannot be trusted
                report.rows += 1
                _row_errors(report, raw)
                continue
            if all(_text(v) == "" for v in raw.cells):
                report.empty_rows += 1
                continue
            report.rows += 1
            row = _parse_row(number, raw.cells, col, mapping, lookups, report)
            if row is None:
                continue
            if row.external_id in seen:
                report.add(report.duplicates, {"row": number, "external_id": row.external_id, "first_row": seen[row.external_id]})
                continue
            seen[row.external_id] = number
            rows.append(row)
        report.lines, report.multiline_rows = table.lines, table.multiline_rows
    except ImportFileError as exc:
        report.fatal = exc.message
        return report, []
    if report.rows == 0:
        report.fatal = "文件中没有数据行"
    existing = _existing_ids(mapping.source, [r.external_id for r in rows])
    report.already_imported = len(existing)
    rows = [r for r in rows if r.external_id not in existing]
    report.valid = len(rows)
    return report, rows


def _row_errors(report: Report, raw: RawRow) -> None:
    report.error_count += len(raw.problems)
    for message in raw.problems:
        report.add(report.errors, {"row": raw.number, "line": raw.line, "column": "", "message": message})


def _existing_ids(source: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        found.update(ImportRecord.objects.filter(source=source, external_id__in=chunk).values_list("external_id", flat=True))
    return found


def _parse_row(number: int, raw: list[Any], col: dict[str, int | None], mapping: Mapping, lookups: _Lookups, report: Report) -> Row | None:
    def get(name: str) -> Any:
        return _cell(raw, col.get(name))

    problems: list[dict[str, Any]] = []
    external_id = _text(get("external_id"))[:100]
    if not external_id:
        problems.append({"row": number, "column": mapping.columns["external_id"], "message": "编号为空"})
    created_at = parse_datetime(get("created_at"), mapping.date_formats)
    if created_at is None:
        report.date_error_count += 1
        bad = {"row": number, "column": mapping.columns["created_at"], "value": _text(get("created_at"))[:40], "message": "日期无法解析"}
        report.add(report.unparseable_dates, bad)
    reply = _text(get("reply"))
    replied_at = None
    if _text(get("replied_at")):
        replied_at = parse_datetime(get("replied_at"), mapping.date_formats)
        if replied_at is None:
            report.date_error_count += 1
            bad = {"row": number, "column": mapping.columns["replied_at"], "value": _text(get("replied_at"))[:40], "message": "日期无法解析"}
            report.add(report.unparseable_dates, bad)
    category = None
    if label := _text(get("category")):
        category = lookups.categories.get(label)
        if category is None:
            report.unknown_categories[label] = report.unknown_categories.get(label, 0) + 1
    kind = _text(get("kind")) or mapping.kind
    kind = lookups.kinds.get(kind, kind)
    data = IntakeData(
        channel=lookups.channel,
        title=_text(get("title"))[:200],
        content=_text(get("content")),
        kind=kind,
        submitter_name=_text(get("submitter_name"))[:80],
        phone=_text(get("phone")),
        address=_text(get("address"))[:200],
        category=category,
    )
    try:
        data.clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column = mapping.columns.get(name, name)
            problems.extend({"row": number, "column": column, "message": m} for m in messages)
    if created_at is not None and replied_at is not None and replied_at < created_at:
        report.add(report.warnings, {"row": number, "message": "答复时间早于留言时间，按留言时间记录"})
        replied_at = created_at
    final = State(mapping.replied_state if reply else mapping.unreplied_state)
    department_id = (category.default_department_id if category is not None else None) or lookups.department_id
    item = HistoricalAppeal(
        data=data,
        created_at=created_at or timezone.now(),
        final=final,
        department_id=department_id,
        reply=reply,
        replied_at=replied_at,
        closed_at=replied_at if final is State.CLOSED else None,
    )
    if not problems:
        try:
            check(item)
        except TransitionError as exc:
            problems.append({"row": number, "column": "", "message": f"无法导入为“{STATE_LABELS[final]}”：{exc.message}"})
    if problems:
        report.error_count += len(problems)
        for p in problems:
            report.add(report.errors, p)
        return None
    if created_at is None or (get("replied_at") and replied_at is None):
        return None
    return Row(number, external_id, item)


# ---- importing -----------------------------------------------------------------------


@dataclass
class Outcome:
    report: Report
    created: int = 0
    skipped: int = 0
    run_id: int | None = None


def run_import(
    path: str | Path,
    mapping: Mapping,
    *,
    by: Any,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Validate, then import in atomic batches. A file with errors changes nothing.

    ``progress(advance, total)`` is called after each committed batch.
    """
    path = Path(path)
    report, rows = validate(path, mapping)
    outcome = Outcome(report=report, skipped=report.already_imported + len(report.duplicates))
    if not report.ok or not rows:  # refused, or everything is already there: write nothing at all
        return outcome
    run = ImportRun.objects.create(
        source=mapping.source,
        file_name=path.name[:255],
        file_sha256=file_sha256(path),
        rows_total=report.rows,
        started_at=timezone.now(),
        skipped=outcome.skipped,
    )
    outcome.run_id = run.pk
    try:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            with transaction.atomic():
                fresh = _existing_ids(mapping.source, [r.external_id for r in batch])
                batch = [r for r in batch if r.external_id not in fresh]  # another run got there first
                appeals = import_history([r.item for r in batch], by=by, checked=True)
                if appeals and settings.MINYI_TRIAGE_SUGGEST_MODE != "sync":
                    # AI suggestions for the batch, as outbox jobs in the batch's own transaction: the workers keep
                    # pace with the import instead of a backfill afterwards.
                    enqueue_many("triage.suggest_imported", [{"appeal_id": a.pk} for a in appeals])
                now = timezone.now()
                identity = [(mapping.source, r.external_id, a.pk, now) for r, a in zip(batch, appeals, strict=True)]
                insert_rows(ImportRecord._meta.db_table, ["source", "external_id", "appeal_id", "imported_at"], identity)
                run.rows_done = min(report.rows, outcome.skipped + start + len(rows[start : start + batch_size]))
                run.created += len(appeals)
                run.save(update_fields=["rows_done", "created"])
            outcome.created += len(appeals)
            if progress is not None:
                progress(len(rows[start : start + batch_size]), len(rows))
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, finished_at=timezone.now(), message=str(exc)[:2000])
        raise
    run.status = ImportRun.Status.DONE
    run.rows_done = report.rows
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_done", "finished_at"])
    return outcome
