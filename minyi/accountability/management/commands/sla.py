import contextlib
import datetime as dt
import json
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.accountability import reminders
from minyi.accountability.scheduler import run_forever, run_sweep
from minyi.workflow.sweep import pending_counts


def _parse_now(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--now: {exc}") from exc
    if moment.tzinfo is None:
        raise CommandError("--now needs a time zone offset, e.g. 2026-11-20T09:00+08:00")
    return moment


class Command(BaseCommand):
    help = "时限巡检：标记临期/超期并逐级催办、督办、挂牌督办，催签与回访超期提醒 / SLA sweep (sweep once for cron, or run every N seconds)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        once = sub.add_parser("sweep", help="sweep once (idempotent); for cron")
        once.add_argument("--now", help="ISO datetime to sweep as of (default: now)")
        once.add_argument("--dry-run", action="store_true", help="only count what would be marked")
        once.add_argument("--json", action="store_true", help="print the result as JSON")
        loop = sub.add_parser("run", help="sweep every --interval seconds in the foreground")
        loop.add_argument("--interval", type=float, default=300.0, help="seconds between sweeps (default 300)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            if options["interval"] <= 0:
                raise CommandError("--interval must be positive")
            self.stdout.write(f"SLA sweeper running every {options['interval']}s; Ctrl-C to stop")
            run_sweep()
            with contextlib.suppress(KeyboardInterrupt):
                run_forever(options["interval"], threading.Event())
            return
        now = _parse_now(options["now"])
        if options["dry_run"]:
            summary: dict[str, Any] = {**pending_counts(now), **reminders.pending_counts(now)}
        else:
            summary = run_sweep(now).summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                "临期 {due_soon}  超期 {overdue}  催办 {u}  督办 {s}  挂牌督办 {l}  催签 {c}  回访超期 {cb}".format(
                    due_soon=summary.get("due_soon", 0),
                    overdue=summary.get("overdue", 0),
                    u=summary.get("urge", "-"),
                    s=summary.get("supervise", "-"),
                    l=summary.get("list_supervise", "-"),
                    c=summary.get("claim_reminder", 0),
                    cb=summary.get("callback_overdue", 0),
                )
            )
