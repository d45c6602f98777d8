"""gunicorn as a library: ``minyi serve`` runs N worker processes behind one master.

The master binds the port and forks workers; SIGHUP reloads them gracefully (new workers
start, old ones finish their requests), SIGTERM shuts down gracefully, and a worker that
dies or hangs past ``timeout`` is replaced. Each worker starts the embedded outbox worker
when the transport is ``inline`` (``make demo``), so no job waits for a separate process.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class MinyiServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from minyi.wsgi import application

        return application


def post_fork(server: Any, worker: Any) -> None:
    """In every worker: the inline outbox worker (a no-op with Celery), so pending jobs left by a crash run now."""
    from django.conf import settings

    if settings.MINYI_JOBS_TRANSPORT == "inline":
        from minyi.jobs.transport import embedded

        embedded(periodic=web_periodic())


def web_periodic() -> bool:
    """No beat without Celery: the web workers fire the periodic work (rollups, sweeps) unless MINYI_JOBS_PERIODIC=0."""
    from django.conf import settings

    return bool(settings.MINYI_JOBS_PERIODIC or not settings.MINYI_JOBS_PERIODIC_SET)


def child_exit(server: Any, worker: Any) -> None:
    """A worker's metrics files stay summed in, but its live gauges go (prometheus_client multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
