import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.cockpit import queries
from minyi.cockpit.services import received_in, stats


class Command(BaseCommand):
    help = "打印诉求统计（总量、状态、渠道、部门、三率）/ Print appeal statistics"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--period", default="", help="only the appeals received in: today/week/month/year, 2026-03 or 2026 (as the cockpit and bulletins count)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["period"]:
            try:
                p = queries.period(options["period"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            figures = stats(received_in(p))
            figures["period"] = {"name": options["period"], "start": p.start.isoformat(), "end": p.end.isoformat(), "label": p.label}
        else:
            figures = stats()
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(f"总量 total: {figures['total']}")
        for section in ("by_status", "by_channel", "by_department"):
            self.stdout.write(f"\n{section}:")
            for key, value in figures[section].items():
                self.stdout.write(f"  {key}: {value}")
        rates = figures["rates"]
        self.stdout.write("\nrates: " + ", ".join(f"{k}={'—' if v is None else f'{v:.1%}'}" for k, v in rates.items()))
