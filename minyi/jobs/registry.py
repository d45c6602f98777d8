"""Handlers by topic, ``enqueue`` (inside the action's transaction) and ``run`` (exactly once).

A domain declares its side effects in its own ``jobs.py``::

    @handler("triage.suggest", batch=True)
    def suggest(payloads: list[dict]) -> None: ...

and its actions call ``enqueue("triage.suggest", {"appeal_id": 7})`` inside their
transaction. After the transaction commits, the configured transport delivers the new
job ids to a worker (``minyi.jobs.transport``); if that hand-off is lost, the relay finds
the rows again, so nothing depends on the hand-off succeeding.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from minyi.jobs.models import Job, JobState

logger = logging.getLogger("minyi.jobs")

Single = Callable[[dict[str, Any]], None]
Batch = Callable[[list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Handler:
    topic: str
    fn: Callable[..., None]
    batch: bool
    max_attempts: int


HANDLERS: dict[str, Handler] = {}


def handler(topic: str, *, batch: bool = False, max_attempts: int = 8) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn`` for ``topic``; with ``batch=True`` it receives a list of payloads."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        HANDLERS[topic] = Handler(topic, fn, batch, max_attempts)
        return fn

    return register


def autodiscover() -> None:
    """Import every installed minyi app's ``jobs`` module, so its handlers and periodic tasks register."""
    for config in apps.get_app_configs():
        if config.name.startswith("minyi.") and config.name != "minyi.jobs":
            try:
                importlib.import_module(f"{config.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.jobs":
                    raise


def enqueue(topic: str, payload: dict[str, Any] | None = None, *, dedupe_key: str | None = None, delay: dt.timedelta | None = None) -> Job | None:
    """Record a side effect in the current transaction; delivered after commit.

    With ``dedupe_key``, a second enqueue of the same key is a no-op (returns None):
    the unique constraint, not a prior read, decides.
    """
    if topic not in HANDLERS:
        raise LookupError(f"no handler for job topic {topic!r}")
    now = timezone.now()
    job = Job(
        topic=topic, payload=payload or {}, dedupe_key=dedupe_key, available_at=now + (delay or dt.timedelta()),
        created_at=now, max_attempts=HANDLERS[topic].max_attempts,
    )
    if dedupe_key is None:
        job.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                job.save(force_insert=True)
        except IntegrityError:
            return None
    _after_commit([job.pk], topic)
    return job


def enqueue_many(topic: str, payloads: Iterable[dict[str, Any]]) -> list[int]:
    """Bulk form of ``enqueue`` for bulk intake and imports (no dedupe keys)."""
    if topic not in HANDLERS:
        raise LookupError(f"no handler for job topic {topic!r}")
    now = timezone.now()
    rows = [Job(topic=topic, payload=p, available_at=now, created_at=now, max_attempts=HANDLERS[topic].max_attempts) for p in payloads]
    created = Job.objects.bulk_create(rows, batch_size=1000)
    ids = [j.pk for j in created if j.pk is not None]
    if ids:
        _after_commit(ids, topic)
    return ids


def _after_commit(ids: list[int], topic: str | None) -> None:
    from minyi.jobs import transport

    transaction.on_commit(lambda: transport.deliver(ids, topic))


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 20 s, 80 s … capped at one hour: a flaky peer gets time to recover."""
    return dt.timedelta(seconds=min(3600, 5 * 4 ** max(0, attempts - 1)))


def run(ids: Iterable[int]) -> int:
    """Run the pending, due jobs among ``ids``; returns how many were done now.

    Rows already done, taken by another worker, or not yet due are skipped: a
    duplicate delivery is harmless. Batch topics run together in one call.
    """
    wanted = list(ids)
    done = 0
    for start in range(0, len(wanted), 500):
        done += _run_chunk(wanted[start : start + 500])
    return done


def _run_chunk(ids: list[int]) -> int:
    now = timezone.now()
    done = 0
    with transaction.atomic():
        jobs = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, state=JobState.PENDING, available_at__lte=now)
            .order_by("pk")
        )
        by_topic: dict[str, list[Job]] = {}
        for job in jobs:
            by_topic.setdefault(job.topic, []).append(job)
        for topic, group in by_topic.items():
            spec = HANDLERS.get(topic)
            if spec is not None and spec.batch and len(group) > 1:
                try:
                    with transaction.atomic():
                        spec.fn([j.payload for j in group])
                except Exception:  # one bad payload must not fail the others: fall back to one by one
                    logger.warning("batch of %d %s jobs failed; retrying one by one", len(group), topic, exc_info=True)
                else:
                    _mark_done(group, now)
                    done += len(group)
                    continue
            for job in group:
                done += _run_one(job, spec, now)
    return done


def _run_one(job: Job, spec: Handler | None, now: dt.datetime) -> int:
    try:
        if spec is None:
            raise LookupError(f"no handler for job topic {job.topic!r}")
        with transaction.atomic():
            spec.fn([job.payload]) if spec.batch else spec.fn(job.payload)
    except Exception as exc:
        job.attempts += 1
        job.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        if job.attempts >= job.max_attempts:
            job.state = JobState.DEAD
            logger.error("job %s (%s) failed for good after %d attempts: %s", job.pk, job.topic, job.attempts, job.last_error)
        else:
            job.available_at = now + backoff(job.attempts)
            logger.warning("job %s (%s) failed, attempt %d: %s", job.pk, job.topic, job.attempts, job.last_error)
        job.save(update_fields=["attempts", "last_error", "state", "available_at"])
        return 0
    _mark_done([job], now)
    return 1


def _mark_done(jobs: list[Job], now: dt.datetime) -> None:
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(state=JobState.DONE, done_at=now, attempts=F("attempts") + 1, last_error="")


BATCH_STEAL = 200


def with_batch(ids: list[int]) -> list[int]:
    """``ids`` plus other due jobs of the same batch topic: under load, hand-offs of one job each still
    run as batches (the triage model classifies a batch far faster than the same texts one by one)."""
    if not ids:
        return ids
    topic = Job.objects.filter(pk=ids[0]).values_list("topic", flat=True).first()
    spec = HANDLERS.get(topic or "")
    if spec is None or not spec.batch:
        return ids
    return list(dict.fromkeys([*ids, *due_ids(BATCH_STEAL, topic=topic)]))


def due_ids(limit: int = 1000, *, older_than: dt.timedelta | None = None, topic: str | None = None) -> list[int]:
    """Pending jobs that are due, oldest first: what the relay re-drives."""
    now = timezone.now()
    qs = Job.objects.filter(state=JobState.PENDING, available_at__lte=now)
    if older_than is not None:
        qs = qs.filter(available_at__lte=now - older_than)
    if topic is not None:
        qs = qs.filter(topic=topic)
    return list(qs.order_by("available_at", "pk").values_list("pk", flat=True)[:limit])


def drain(limit: int = 10_000) -> int:
    """Run every due pending job (the in-process worker, tests, ``minyi jobs drain``)."""
    total = 0
    while total < limit:
        ids = due_ids(min(500, limit - total))
        if not ids:
            break
        ran = run(ids)
        total += ran
        if ran == 0:  # all remaining due jobs failed or are locked elsewhere: stop, the relay retries later
            break
    return total
