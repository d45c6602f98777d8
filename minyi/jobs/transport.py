"""How committed job ids reach a worker, chosen by ``MINYI_JOBS_TRANSPORT``.

- ``inline`` (the embedded default, ``make demo``): a thread in this process drains the
  outbox table; no broker needed.
- ``celery`` (production): a Celery task per hand-off, on Redis or RabbitMQ
  (``MINYI_BROKER_URL``); workers run ``minyi worker``.
- ``sync``: run right after commit in the committing thread (tests, one-shot commands).

The hand-off is only a hint. If it is lost (broker down, process killed between commit
and hand-off), the relay (``relay_once``: Celery beat every few seconds, or the inline
thread's loop) finds the pending rows again. Every mode runs the same ``registry.run``.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from minyi.jobs import registry

logger = logging.getLogger("minyi.jobs")

# Topics that get their own Celery queue, so a burst of one cannot starve the others.
QUEUES = {"triage.suggest": "triage"}
RELAY_AFTER = dt.timedelta(seconds=10)


def queue_for(topic: str | None) -> str:
    return QUEUES.get(topic or "", "default")


def deliver(ids: list[int], topic: str | None = None) -> None:
    mode = settings.MINYI_JOBS_TRANSPORT
    if mode == "sync":
        registry.run(ids)
    elif mode == "celery":
        try:
            # Our app explicitly: a bare shared task in a process that never imported it would go to
            # Celery's default app and its default broker (amqp://localhost), where nobody listens.
            from minyi.jobs.celery_app import app

            app.send_task("minyi.jobs.run", args=[ids], queue=queue_for(topic))
        except Exception:  # broker unreachable: the rows are committed, the relay will re-drive them
            logger.warning("could not hand %d job(s) to the broker; the relay will re-drive them", len(ids), exc_info=True)
    else:
        embedded().submit(ids)


def relay_once(limit: int = 5000) -> int:
    """Re-drive pending jobs that nobody took (lost hand-offs, retries now due). Returns how many were sent."""
    ids = registry.due_ids(limit, older_than=RELAY_AFTER if settings.MINYI_JOBS_TRANSPORT == "celery" else None)
    if not ids:
        return 0
    if settings.MINYI_JOBS_TRANSPORT == "celery":
        from django.utils import timezone

        from minyi.jobs.models import Job

        # Re-driven now: the next relay waits RELAY_AFTER again instead of flooding the queue with copies.
        Job.objects.filter(pk__in=ids, state="pending").update(available_at=timezone.now())
        topics = dict(Job.objects.filter(pk__in=ids).values_list("pk", "topic"))
        by_queue: dict[str, list[int]] = {}
        for pk in ids:
            by_queue.setdefault(queue_for(topics.get(pk)), []).append(pk)
        for name, chunk in by_queue.items():
            for start in range(0, len(chunk), 200):
                deliver(chunk[start : start + 200], next((t for t, q in QUEUES.items() if q == name), None))
    else:
        registry.run(ids)
    return len(ids)


class EmbeddedWorker:
    """One daemon thread: runs handed-off ids, re-drives the outbox and fires periodic work."""

    def __init__(self, *, relay_every: float = 5.0, periodic: bool = False) -> None:
        self.queue: queue.Queue[list[int]] = queue.Queue()
        self.relay_every = relay_every
        self.periodic = periodic
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="minyi-jobs", daemon=True)
        self.thread.start()

    def submit(self, ids: list[int]) -> None:
        self.queue.put(ids)

    def _loop(self) -> None:
        next_relay = 0.0
        while not self.stop.is_set():
            try:
                ids = self.queue.get(timeout=1.0)
            except queue.Empty:
                ids = []
            try:
                close_old_connections()
                if ids:
                    registry.run(ids)
                if time.monotonic() >= next_relay:
                    relay_once()
                    if self.periodic:
                        from minyi.jobs.periodic import PERIODIC, run_periodic

                        for name in PERIODIC:
                            run_periodic(name, respect_interval=True)
                    next_relay = time.monotonic() + self.relay_every
            except Exception:  # the thread must survive a bad job or a lost database connection
                logger.exception("embedded job worker: iteration failed")
                time.sleep(1.0)
            finally:
                close_old_connections()


_embedded: EmbeddedWorker | None = None
_lock = threading.Lock()


def embedded(*, periodic: bool | None = None) -> EmbeddedWorker:
    """The process's worker thread, started on first use; ``periodic`` (default: the setting) applies then."""
    global _embedded
    with _lock:
        if _embedded is None:
            _embedded = EmbeddedWorker(periodic=settings.MINYI_JOBS_PERIODIC if periodic is None else periodic)
        return _embedded
