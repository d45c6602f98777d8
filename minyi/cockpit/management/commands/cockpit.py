import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from minyi.cockpit import hot, rollup


class Command(BaseCommand):
    help = "数字驾驶舱汇总表维护 / cockpit rollups: rebuild | refresh | hot-topics"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="从工单表重算全部汇总 / recompute every rollup row")
        sub.add_parser("refresh", help="增量刷新（建议每分钟运行）/ incremental refresh, run every minute")
        h = sub.add_parser("hot-topics", help="计算本周热点诉求 / compute this week's hot topics")
        h.add_argument("--window-days", type=int, default=7)
        h.add_argument("--baseline-weeks", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            result: Any = rollup.rebuild(progress=lambda n: self.stderr.write(f"\r{n} facts", ending=""))
            self.stderr.write("")
        elif action == "refresh":
            result = rollup.refresh()
        else:
            snap = hot.compute_and_store(window_days=options["window_days"], baseline_weeks=options["baseline_weeks"])
            result = {"topics": len(snap.topics), "window": [str(snap.window_start), str(snap.window_end)]}
        self.stdout.write(json.dumps(result, ensure_ascii=False))
