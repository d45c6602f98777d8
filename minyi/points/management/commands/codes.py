"""``minyi codes import FILE.xlsx`` / ``minyi codes print --kind scale --out labels.pdf`` / ``minyi codes template --out FILE.xlsx``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.points import importer, labels, services
from minyi.points.models import Point
from minyi.workflow.services import SYSTEM, ActionForbidden


class Command(BaseCommand):
    help = "点位码：从 Excel 批量导入点位，打印二维码标签（A4 PDF），或生成导入模板。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="从 Excel 清单批量导入点位：有一行出错则全部不导入")
        imp.add_argument("file", help="XLSX 文件，表头见 minyi codes template")
        imp.add_argument("--as-user", help="记为操作人的用户名（默认：系统）")
        prn = sub.add_parser("print", help="打印二维码标签")
        prn.add_argument("--kind", default="scale", choices=list(Point.Kind.values), help="点位类型（默认 scale 电子秤）")
        prn.add_argument("--out", required=True, help="输出 PDF 路径")
        prn.add_argument("--grid", help="只打印这个社区或街道（网格编码）的点位")
        tpl = sub.add_parser("template", help="生成带表头和示例行的导入模板")
        tpl.add_argument("--out", required=True, help="输出 XLSX 路径")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        by: Any = SYSTEM
        if options["as_user"]:
            by = get_user_model().objects.filter(username=options["as_user"]).first()
            if by is None:
                raise CommandError(f"用户 {options['as_user']} 不存在")
        with path.open("rb") as stream:
            parsed = importer.parse_workbook(stream)
        if parsed.errors:
            for error in parsed.errors:
                self.stderr.write(error)
            raise CommandError(f"有 {len(parsed.errors)} 处错误，未导入任何点位")
        try:
            points = services.import_points(parsed.items, by=by, source=path.name)
        except (ValidationError, ActionForbidden) as exc:
            raise CommandError("；".join(exc.messages) if isinstance(exc, ValidationError) else exc.message) from exc
        self.stdout.write(f"已导入 {len(points)} 个点位")

    def _print(self, options: dict[str, Any]) -> None:
        qs = (
            Point.objects.filter(kind=options["kind"], active=True).select_related("grid__parent", "owner__market", "department").order_by("grid__code", "name")
        )
        if options["grid"]:
            qs = qs.filter(grid__code__startswith=options["grid"])
        points = list(qs)
        if not points:
            raise CommandError(f"没有在用的{Point.Kind(options['kind']).label}点位")
        Path(options["out"]).write_bytes(labels.to_pdf(points))
        sheets = -(-len(points) // (labels.COLUMNS * labels.ROWS))
        self.stdout.write(f"已生成 {len(points)} 个标签，共 {sheets} 页：{options['out']}")

    def _template(self, options: dict[str, Any]) -> None:
        Path(options["out"]).write_bytes(importer.template_workbook())
        self.stdout.write(f"已生成导入模板：{options['out']}")
