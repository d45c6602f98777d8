"""``minyi replyqc fit [--out FILE]``: fit the relevance weights of 答复质检 on the district's own archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.replyqc import services


class Command(BaseCommand):
    help = "答复质检：用本区已答复的诉求训练相关度权重（fit）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["fit"])
        parser.add_argument("--out", type=Path, default=None, help="输出文件（默认 var/models/replyqc.json）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = services.fit(options["out"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已用 {data['pairs']} 组答复训练相关度权重，保存到 {options['out'] or services.model_path()}")
