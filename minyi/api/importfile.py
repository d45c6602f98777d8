"""Reading an import file strictly: the bytes, the encoding, the CSV grammar, the XLSX archive.

Whatever a hand-edited export gets wrong must show up in the dry run with its row number,
never as rows that silently vanish or as a database error after the first batch:

* **Encoding.** ``auto`` tries UTF-8 (with or without BOM), then GB18030; a UTF-8 file with
  one bad line is refused with that line, not re-read as GB18030 mojibake. An explicit
  encoding that fails names the line too.
* **CSV grammar.** ``csv`` in strict mode; a record with the wrong number of fields is an
  error; a field that spans lines which each look like a whole record (a stray ``"``
  swallowed the rows after it) is an error; NUL characters are errors (PostgreSQL cannot
  store them). The report counts physical lines and records so that the two can be compared.
* **XLSX.** The zip's central directory is inspected before openpyxl opens it: number of
  members, total uncompressed size, compression ratio, sheet and shared-strings sizes.
  ``zipfile`` never inflates a member past the size its directory declares, so these
  checks bound what openpyxl can allocate.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 200 * MB
CSV_FIELD_LIMIT = 10 * MB


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RawRow:
    """One record as read from the file."""

    number: int  # the record's row, header = 1 (the row Excel shows)
    line: int  # the physical line where it starts (the line a text editor shows)
    cells: list[Any]
    problems: list[str] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    rows: Iterator[RawRow]
    lines: int = 0  # physical lines, header included; complete once ``rows`` is exhausted
    multiline_rows: int = 0  # records spanning more than one physical line


@dataclass(frozen=True)
class XlsxLimits:
    max_members: int = 1000
    max_uncompressed_bytes: int = 300 * MB
    max_ratio: int = 200  # real sheets compress 5–50×; a bomb thousands of times
    ratio_checked_from: int = 1 * MB  # tiny members may compress oddly well and harm nobody
    max_sheet_bytes: int = 250 * MB
    max_shared_strings_bytes: int = 50 * MB  # openpyxl keeps every shared string in memory

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        return cls(**dict(getattr(settings, "MINYI_IMPORT_XLSX_LIMITS", {}) or {}))


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


# ---- bytes and encodings ---------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_utf16(data: bytes) -> bool:
    head = data[:4096]
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head.count(0) > len(head) // 8


def decode(data: bytes, encoding: str) -> str:
    """The text of the file, or ImportFileError naming the line that cannot be decoded."""
    if _looks_utf16(data):
        raise ImportFileError("文件含有大量 NUL 字节，像是 UTF-16 编码或二进制文件；请另存为 UTF-8 或 GB18030 的 CSV")
    if encoding != "auto":
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"编码 {encoding!r} 无效") from None
        try:
            return data.decode("utf-8-sig" if name == "utf-8" else name)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"文件按 {encoding} 编码在第 {_line_of(data, exc.start)} 行无法解码；请确认文件编码（映射文件的 encoding 或命令的 --encoding）"
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if any(b >= 0x80 for b in data[: utf8_error.start]):
        # UTF-8 text before the bad bytes: a UTF-8 file with a damaged or pasted-in line.
        # Re-reading it all as GB18030 would "succeed" and turn every Chinese character into mojibake.
        line = _line_of(data, utf8_error.start)
        raise ImportFileError(f"文件是 UTF-8 编码，但第 {line} 行含有无法按 UTF-8 解码的字节（可能混入了 GBK 编码的内容）；请修正该行后重试")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"文件既不是 UTF-8 也不是 GB18030 编码：第 {_line_of(data, exc.start)} 行无法解码；请确认编码后用 --encoding 指定"
        ) from None


# ---- CSV -------------------------------------------------------------------------------


_ID_LIKE = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")


def _looks_like_record(line: str, width: int) -> bool:
    """A line that parses as ``width`` fields and starts with an id (as the file's first column does).

    Real multi-line replies (政策依据、办理经过) may carry many commas; a swallowed record also starts
    with its work-order number, which prose does not.
    """
    if line.count(",") < width - 1:
        return False
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    return len(fields) == width and bool(_ID_LIKE.fullmatch(fields[0].strip()))


def _swallowed_lines(value: str, width: int) -> int:
    """How many lines inside one field look like whole records of ``width`` columns."""
    if width < 3 or ("\n" not in value and "\r" not in value):
        return 0
    return sum(1 for part in value.splitlines() if _looks_like_record(part, width))


def _csv_problems(cells: list[str], width: int) -> list[str]:
    problems: list[str] = []
    if any("\x00" in c for c in cells):
        problems.append("含有空字符（NUL），数据库无法保存；请检查导出文件")
    # Exact: an unquoted comma shifts every later column, and a shifted row may still "parse".
    if len(cells) != width:
        problems.append(f"有 {len(cells)} 个字段，表头有 {width} 列；请检查该行的逗号和英文引号是否配对")
    for value in cells:
        if swallowed := _swallowed_lines(value, width):
            problems.append(
                f"一个字段跨越多行，其中 {swallowed} 行像是完整的记录：很可能是字段开头多了一个未配对的英文引号，吞掉了后面的行"
            )
            break
    return problems


def read_csv(text: str) -> Table:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    # strict: a quote in the wrong place is an error, not a character quietly kept.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFileError("文件为空") from None
    except csv.Error as exc:
        raise ImportFileError(f"表头（第 1 行）CSV 格式错误：{exc}") from exc
    width = len(header)
    table = Table(header=header, rows=iter(()), lines=reader.line_num)

    def rows() -> Iterator[RawRow]:
        number = 1
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # The parser resets at the next line, so one bad record does not hide the rest.
                number += 1
                table.lines = reader.line_num
                yield RawRow(number, start, [], [f"CSV 格式错误（{exc}）：多半是英文引号未配对，从第 {start} 行起的内容无法解析"])
                continue
            table.lines = reader.line_num
            number += 1  # a blank line is a row too, as in Excel; validation counts it as empty
            if reader.line_num > start:
                table.multiline_rows += 1
            yield RawRow(number, start, list(cells), _csv_problems(cells, width) if cells else [])

    table.rows = rows()
    return table


# ---- XLSX ------------------------------------------------------------------------------


def check_xlsx_archive(path: Path, limits: XlsxLimits) -> None:
    """Refuse a workbook whose archive would make openpyxl allocate too much."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"不是有效的 Excel (.xlsx) 文件：{exc.__class__.__name__}") from exc
    if len(members) > limits.max_members:
        raise ImportFileError(f"Excel 文件内部的文件数过多（{len(members)} 个，上限 {limits.max_members}），疑似构造的恶意文件，已拒绝")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise ImportFileError(f"Excel 文件解压后过大（{_mb(total)}，上限 {_mb(limits.max_uncompressed_bytes)}）；请拆分后再导入")
    for m in members:
        if m.flag_bits & 0x1:
            raise ImportFileError("Excel 文件已加密，请先去掉密码再导入")
        if m.file_size >= limits.ratio_checked_from and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise ImportFileError(
                f"Excel 文件的压缩比异常（{m.filename}：{_mb(m.compress_size)} 解压为 {_mb(m.file_size)}），疑似压缩炸弹，已拒绝"
            )
        if m.filename.startswith("xl/worksheets/") and m.file_size > limits.max_sheet_bytes:
            raise ImportFileError(f"工作表过大（解压后 {_mb(m.file_size)}，上限 {_mb(limits.max_sheet_bytes)}）；请拆分后再导入")
        if m.filename == "xl/sharedStrings.xml" and m.file_size > limits.max_shared_strings_bytes:
            raise ImportFileError(f"Excel 文件的共享文本过大（解压后 {_mb(m.file_size)}，上限 {_mb(limits.max_shared_strings_bytes)}）")


def read_xlsx(path: Path) -> Table:
    check_xlsx_archive(path, XlsxLimits.from_settings())
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"不是有效的 Excel (.xlsx) 文件：{exc.__class__.__name__}") from exc
    values = book.worksheets[0].iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v).strip() for v in next(values)]
    except StopIteration:
        raise ImportFileError("工作表为空") from None
    table = Table(header=header, rows=iter(()), lines=1)

    def rows() -> Iterator[RawRow]:
        for number, raw in enumerate(values, start=2):
            table.lines = number
            cells = list(raw)
            problems = ["含有空字符（NUL），数据库无法保存；请检查导出文件"] if any(isinstance(c, str) and "\x00" in c for c in cells) else []
            yield RawRow(number, number, cells, problems)

    table.rows = rows()
    return table


# ---- either ----------------------------------------------------------------------------


def read_table(path: Path, encoding: str) -> Table:
    """The header and the records of a CSV or XLSX file, after the file-level checks."""
    limit = int(getattr(settings, "MINYI_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"无法读取文件：{exc}") from exc
    if size == 0:
        raise ImportFileError("文件为空")
    if size > limit:
        raise ImportFileError(f"文件过大（{_mb(size)}，上限 {_mb(limit)}，见设置 MINYI_IMPORT_MAX_BYTES）；请拆分后再导入")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx(path)
    if suffix not in {".csv", ".txt"}:
        raise ImportFileError("只支持 .csv 和 .xlsx 文件")
    return read_csv(decode(path.read_bytes(), encoding))
