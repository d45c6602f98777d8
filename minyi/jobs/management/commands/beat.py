"""``minyi beat``: Celery beat, firing the relay and the periodic work (one per deployment)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动定时任务调度（Celery beat）/ Start Celery beat for periodic work"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        from minyi.jobs.celery_app import app

        state = Path(getattr(settings, "VAR_DIR", tempfile.gettempdir())) / "celerybeat-schedule"
        # Two beats are harmless (every periodic task takes a lock row) but wasteful: run one.
        app.start(["beat", f"--loglevel={options['loglevel']}", f"--schedule={state}"])
