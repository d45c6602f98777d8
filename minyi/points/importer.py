"""Points from an Excel list (openpyxl): markets and their scales, stands, service points, other assets.

Every row is read and checked before anything is written; the errors name the row and the
column in Chinese (``第 5 行：社区“xx”不存在``). ``import_points`` then creates them all in one
transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError

from minyi.directory.models import Department, GridCell
from minyi.points.models import Point
from minyi.points.services import PointData

HEADERS = ["类型", "名称", "社区", "地址", "纬度", "经度", "责任部门", "所属市场", "商户", "摊位号",
           "检定日期", "检定状态", "服务类别", "开放时间", "服务事项", "咨询电话"]  # fmt: skip
REQUIRED = ["类型", "名称", "社区"]
EXAMPLE = ["电子秤", "枫亭菜场 3号摊 电子秤", "枫亭社区", "青枫路 18 号枫亭菜场", 31.2931, 120.5702, "区市场监督管理局",
           "枫亭菜场", "老王蔬菜", "3号", "2026-05-12", "检定合格", "", "", "", ""]  # fmt: skip


@dataclass
class Parsed:
    items: list[PointData] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _by_label_or_code(choices: list[tuple[str, Any]], value: str) -> str | None:
    for code, label in choices:
        if value in (code, str(label)):
            return code
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Lookups:
    def __init__(self) -> None:
        cells = list(GridCell.objects.select_related("parent").filter(level=GridCell.Level.COMMUNITY))
        self.grid: dict[str, GridCell] = {}
        for cell in cells:
            self.grid[cell.code] = cell
            self.grid.setdefault(cell.name, cell)
            if cell.parent is not None:
                self.grid[f"{cell.parent.name}/{cell.name}"] = cell
        self.departments: dict[str, Department] = {}
        for dept in Department.objects.filter(active=True):
            self.departments[dept.code] = dept
            self.departments.setdefault(dept.name, dept)


def parse_rows(rows: list[tuple[Any, ...]]) -> Parsed:
    """Rows of cells, the first being the header row."""
    result = Parsed()
    if not rows:
        result.errors.append("表格是空的：第 1 行应为表头（" + "、".join(HEADERS) + "）")
        return result
    header = [_text(h) for h in rows[0]]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        result.errors.append("第 1 行缺少表头：" + "、".join(missing) + "（表头应为：" + "、".join(HEADERS) + "）")
        return result
    col = {name: header.index(name) for name in HEADERS if name in header}
    look = _Lookups()
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i] if i < len(row) else None) for name, i in col.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue  # a blank line between blocks
        errors: list[str] = []

        def get(name: str, cells: dict[str, Any] = cells) -> str:
            return _text(cells.get(name))

        kind = _by_label_or_code(list(Point.Kind.choices), get("类型"))
        if kind is None:
            errors.append(f"类型“{get('类型')}”无效，应为：" + "、".join(str(label) for _, label in Point.Kind.choices))
        grid = look.grid.get(get("社区"))
        if grid is None:
            errors.append(f"社区“{get('社区')}”不存在（填社区名称或编码，如“枫亭社区”）" if get("社区") else "请填写社区")
        department = None
        if get("责任部门"):
            department = look.departments.get(get("责任部门"))
            if department is None:
                errors.append(f"责任部门“{get('责任部门')}”不存在")
        lat = lng = None
        try:
            lat = Decimal(get("纬度")).quantize(Decimal("0.000001")) if get("纬度") else None
            lng = Decimal(get("经度")).quantize(Decimal("0.000001")) if get("经度") else None
        except InvalidOperation:
            errors.append("经纬度须为数字，如 31.2931 和 120.5702")
        verified_on = None
        raw_date = cells.get("检定日期")
        if isinstance(raw_date, dt.datetime):
            verified_on = raw_date.date()
        elif isinstance(raw_date, dt.date):
            verified_on = raw_date
        elif get("检定日期"):
            try:
                verified_on = dt.date.fromisoformat(get("检定日期").replace("/", "-"))
            except ValueError:
                errors.append(f"检定日期“{get('检定日期')}”无效，应为 2026-05-12 这样的日期")
        verification = ""
        if get("检定状态"):
            verification = _by_label_or_code(list(Point.Verification.choices), get("检定状态")) or ""
            if not verification:
                errors.append(f"检定状态“{get('检定状态')}”无效，应为：" + "、".join(str(label) for _, label in Point.Verification.choices))
        service = ""
        if get("服务类别"):
            service = _by_label_or_code(list(Point.Service.choices), get("服务类别")) or ""
            if not service:
                errors.append(f"服务类别“{get('服务类别')}”无效，应为：" + "、".join(str(label) for _, label in Point.Service.choices))
        if errors or kind is None or grid is None:
            result.errors.extend(f"第 {number} 行：{e}" for e in errors)
            continue
        item = PointData(
            kind=kind, name=get("名称"), grid=grid, address=get("地址"), lat=lat, lng=lng, department=department,
            market=get("所属市场"), merchant=get("商户"), stall=get("摊位号"), verified_on=verified_on, verification=verification,
            service=service, hours=get("开放时间"), services="\n".join(s.strip() for s in get("服务事项").replace("、", "\n").splitlines() if s.strip()),
            phone=get("咨询电话"),
        )  # fmt: skip
        try:
            item.clean()
        except ValidationError as exc:
            result.errors.extend(f"第 {number} 行：{m}" for m in exc.messages)
            continue
        result.items.append(item)
    if not result.items and not result.errors:
        result.errors.append("表格里没有点位")
    return result


def parse_workbook(stream: IO[bytes]) -> Parsed:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return Parsed(errors=["无法读取该文件：请上传 Excel 工作簿（.xlsx）"])
    sheet = book.worksheets[0]
    return parse_rows([tuple(r) for r in sheet.iter_rows(values_only=True)])


def template_workbook() -> bytes:
    """An empty list with the header row and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "点位清单"
    sheet.append(HEADERS)
    sheet.append(EXAMPLE)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
