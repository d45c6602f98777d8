from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.directory import geometry, services


class Command(BaseCommand):
    help = "组织与网格目录 / the directory: load-geojson FILE (街道/社区边界)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load-geojson", help="载入街道/社区边界（GeoJSON FeatureCollection，经纬度）/ load grid boundaries")
        load.add_argument("file", type=Path)
        load.add_argument("--key", default=None, help="与网格对应的要素属性（默认先 code 后 name）/ the property naming the cell")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 {path}（应为 UTF-8 编码的 GeoJSON）") from exc
        try:
            n = services.load_geojson(geometry.parse(text), key=options["key"], source=str(path))
        except geometry.GeoJSONError as exc:
            raise CommandError("边界未载入，请修正以下问题后重试：\n" + "\n".join(f"  - {p}" for p in exc.problems)) from exc
        self.stdout.write(f"已载入 {n} 个街道/社区的边界")
