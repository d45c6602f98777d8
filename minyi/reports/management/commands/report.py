from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.reports import render, services


class Command(BaseCommand):
    help = "生成简报 / generate reports: report bulletin --period 2026-03 --format docx|pdf|html --out PATH"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        b = sub.add_parser("bulletin", help="接诉即办简报 / the monthly bulletin")
        b.add_argument("--period", required=True, help="2026-03 (month) or 2026 (year)")
        b.add_argument("--format", choices=sorted(render.RENDERERS), default="html")
        b.add_argument("--out", required=True, type=Path)
        b.add_argument("--number", default="（草稿）", help="期号 printed in the title block")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Saved as a draft like one made on /reports/, where editors find, revise and publish it.
            b = services.draft_bulletin(options["period"], by=None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        data = render.RENDERERS[options["format"]](b.content, options["number"])
        out: Path = options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        self.stdout.write(f"已生成 {out} ({len(data)} bytes)，草稿已存入简报列表（/reports/{b.pk}）")
