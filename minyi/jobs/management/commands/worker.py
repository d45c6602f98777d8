"""``minyi worker``: a Celery worker for the outbox (production transport)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动后台任务进程（Celery worker）/ Start a Celery worker for background jobs"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--queues", default="default,triage", help="comma-separated queues (default: default,triage)")
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--pool", default="prefork", help="prefork (default), threads or solo")

    def handle(self, *args: Any, **options: Any) -> None:
        from minyi.jobs.celery_app import app

        app.worker_main(
            [
                "worker",
                f"--concurrency={options['concurrency']}",
                f"--queues={options['queues']}",
                f"--loglevel={options['loglevel']}",
                f"--pool={options['pool']}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
