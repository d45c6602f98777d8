"""AI suggestions off the request path: a small background pool, and the back-fill sweep.

In "async" mode (``settings.MINYI_TRIAGE_SUGGEST_MODE``, the default outside tests) the
after-intake hook calls ``submit(appeal_id)`` once the intake's transaction has
committed. A module-level ``ThreadPoolExecutor`` of ``MINYI_TRIAGE_ASYNC_WORKERS``
threads (created on first use) then computes and stores the suggestions through
``integration.apply_suggestions`` — the same code, the same audit note and the same
auto-dispatch action as the synchronous path. Each job uses its thread's own database
connection and closes it when done.

A job that fails is logged and changes nothing: the appeal is committed already and
waits in the dispatch queue without suggestions (shown as 分析中…) until
``minyi triage backfill`` fills in every waiting appeal that has none. The back-fill
only stores suggestions and raises priorities: it auto-dispatches (under the same
``MINYI_AUTO_DISPATCH`` switch) only when asked to with ``--auto-dispatch``, because what
it fills in is mostly imported, historical appeals that nobody should find dispatched
behind their back. When more than
``MINYI_TRIAGE_ASYNC_QUEUE`` jobs are waiting, or the pool is shut down, the caller
computes the suggestions inline instead (back-pressure; nothing is dropped).

Tests wait for the pool with ``wait_for_pending(timeout)``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import QuerySet

from minyi.appeals.models import Appeal
from minyi.workflow.machine import State

logger = logging.getLogger("minyi.triage")

WAITING_STATES = (State.REGISTERED, State.PENDING_DISPATCH)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future[bool]] = set()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=settings.MINYI_TRIAGE_ASYNC_WORKERS, thread_name_prefix="minyi-triage")
        return _executor


def _forget(future: Future[bool]) -> None:
    with _lock:
        _pending.discard(future)


def pending_count() -> int:
    with _lock:
        return len(_pending)


def submit(appeal_id: int) -> Future[bool] | None:
    """Queue suggestions for a committed appeal. Never raises; returns the job, or None when done inline."""
    if pending_count() < settings.MINYI_TRIAGE_ASYNC_QUEUE:
        try:
            future = _pool().submit(run_job, appeal_id)
        except RuntimeError:  # the pool is shut down (interpreter exit)
            logger.warning("triage pool is shut down; suggestions for appeal %s computed inline", appeal_id)
        else:
            with _lock:
                _pending.add(future)
            future.add_done_callback(_forget)  # runs at once if the job is done already
            return future
    else:
        logger.warning("triage queue full (%d jobs); suggestions for appeal %s computed inline", pending_count(), appeal_id)
    suggest_one(appeal_id)
    return None


def run_job(appeal_id: int) -> bool:
    """One background job, on this worker thread's own database connection (auto-dispatch as on intake)."""
    close_old_connections()
    try:
        return suggest_one(appeal_id)
    finally:
        connection.close()


def suggest_one(appeal_id: int, *, auto_dispatch: bool = True) -> bool:
    """Suggestions for one appeal that has none yet; True when stored. Failures are logged, never raised.

    ``auto_dispatch=False`` stores suggestions (and raises the priority) but never dispatches.
    """
    from minyi.triage import integration

    try:
        appeal = Appeal.objects.select_related("grid").get(pk=appeal_id)
        return integration.apply_suggestions(appeal, only_if_missing=True, auto_dispatch=auto_dispatch)
    except Appeal.DoesNotExist:
        logger.warning("appeal %s is gone; no triage suggestions", appeal_id)
    except Exception:
        logger.exception("triage suggestions failed for appeal %s; `minyi triage backfill` will retry", appeal_id)
    return False


def wait_for_pending(timeout: float = 30.0) -> bool:
    """Block until every queued job has finished (including jobs queued meanwhile); False on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            futures = list(_pending)
        if not futures:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        wait(futures, timeout=left, return_when=FIRST_COMPLETED)
        for future in futures:
            if future.done():
                _forget(future)


def missing() -> QuerySet[Appeal]:
    """Appeals waiting for dispatch without suggestions: a job that failed or never ran, or an import."""
    return Appeal.objects.filter(status__in=WAITING_STATES, triage={})


def backfill(*, limit: int | None = None, progress: Callable[[int, int], None] | None = None, auto_dispatch: bool = False) -> int:
    """Compute and store suggestions for every appeal in ``missing()``, oldest first; returns how many were stored.

    Idempotent: an appeal that has suggestions is skipped, also when a background job
    stores them while the sweep runs. ``progress(advance, total)`` is called per appeal.
    Confident appeals are dispatched automatically only with ``auto_dispatch=True`` (and
    ``settings.MINYI_AUTO_DISPATCH``); by default they wait for a dispatcher.
    """
    ids = list(missing().order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
    stored = 0
    for appeal_id in ids:
        stored += suggest_one(appeal_id, auto_dispatch=auto_dispatch)
        if progress is not None:
            progress(1, len(ids))
    return stored
