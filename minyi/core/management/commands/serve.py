"""``minyi serve``: the production web server (gunicorn, one worker process per core by default)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn 多进程）/ Serve the platform with gunicorn (N worker processes)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("MINYI_WEB_WORKERS", "0")) or (os.cpu_count() or 1),
                            help="worker processes (default: one per core, or MINYI_WEB_WORKERS)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("MINYI_WEB_THREADS", "4")),
                            help="threads per worker (default 4)")
        parser.add_argument("--timeout", type=int, default=60, help="seconds before a stuck worker is replaced")
        parser.add_argument("--pidfile", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from minyi.core.gunicorn_app import MinyiServer, child_exit, post_fork

        call_command("collectstatic", interactive=False, verbosity=0)
        # Every worker writes its request metrics here; /metrics sums them (prometheus_client multiprocess mode).
        metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(settings.VAR_DIR) / "metrics")))
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        workers = max(1, options["workers"])
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and workers > 1:
            workers = 1  # one writer: several processes on one SQLite file only queue behind its lock
        self.stdout.write(f"minyi serving on http://{options['host']}:{options['port']}/ with {workers} worker(s)  (Ctrl-C to stop)")
        self.stdout.flush()
        MinyiServer(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": workers,
                "threads": max(1, options["threads"]),
                "worker_class": "gthread",
                "timeout": options["timeout"],
                "graceful_timeout": 30,
                "keepalive": 5,
                # X-Forwarded-* are judged by minyi.core.proxies against MINYI_TRUSTED_PROXIES, never by gunicorn.
                "forwarded_allow_ips": "",
                "proxy_allow_ips": "",
                "limit_request_line": 8190,
                "limit_request_fields": 100,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "minyi-web",
                "pidfile": options["pidfile"],
                "post_fork": post_fork,
                "child_exit": child_exit,
                "preload_app": False,
            }
        ).run()
