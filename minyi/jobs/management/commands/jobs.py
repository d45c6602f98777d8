"""``minyi jobs``: the outbox's failed jobs and backlog, for operators."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from minyi.jobs import registry, services
from minyi.jobs.models import Job, JobState


class Command(BaseCommand):
    help = "后台任务：积压、失败任务的查看、重试与放弃 / background jobs: backlog, dead letters, retry, discard"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="counts by topic and state")
        status.add_argument("--json", action="store_true")
        dead = sub.add_parser("list", help="failed jobs (dead letters) with their errors")
        dead.add_argument("--limit", type=int, default=50)
        retry = sub.add_parser("retry", help="put failed jobs back in the queue")
        retry.add_argument("ids", nargs="*", type=int)
        retry.add_argument("--all", action="store_true")
        discard = sub.add_parser("discard", help="give up on failed jobs (kept for the record)")
        discard.add_argument("ids", nargs="+", type=int)
        drain = sub.add_parser("drain", help="run every due job now, in this process")
        drain.add_argument("--limit", type=int, default=100_000)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            rows = list(Job.objects.values("topic", "state").annotate(n=Count("id")).order_by("topic", "state"))
            if options["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
                return
            if not rows:
                self.stdout.write("没有后台任务 / no jobs")
            for row in rows:
                self.stdout.write(f"{row['topic']:<24} {JobState(row['state']).label:<8} {row['n']}")
        elif action == "list":
            for job in Job.objects.filter(state=JobState.DEAD).order_by("-id")[: options["limit"]]:
                error = job.last_error.splitlines()[-1] if job.last_error else ""
                self.stdout.write(f"#{job.pk} {job.topic} 尝试{job.attempts}次 {job.created_at:%Y-%m-%d %H:%M}  {error}")
        elif action == "retry":
            if not options["ids"] and not options["all"]:
                raise CommandError("请给出任务编号，或用 --all 重试全部失败任务")
            n = services.retry_jobs(None if options["all"] else options["ids"], by="cli")
            self.stdout.write(f"已重新排队 {n} 个任务")
        elif action == "discard":
            n = services.discard_jobs(options["ids"], by="cli")
            self.stdout.write(f"已放弃 {n} 个任务")
        elif action == "drain":
            self.stdout.write(f"已执行 {registry.drain(options['limit'])} 个任务")
