"""The production transport for real: Celery on the machine's Redis, a worker thread, the outbox table."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from minyi.jobs import registry, transport
from minyi.jobs.models import Job, JobState

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # A worker thread and the test share one database: on SQLite's shared in-memory test database they lock each
    # other's tables ("database table is locked", which no busy timeout retries). Production runs Celery on PostgreSQL.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the Celery path runs on PostgreSQL"),
]

SEEN: list[int] = []


@registry.handler("test.celery")
def _seen(payload: dict[str, Any]) -> None:
    SEEN.append(payload["n"])


def _redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return url


@pytest.fixture
def celery_worker(settings: Any) -> Iterator[Any]:
    from celery.contrib.testing.worker import start_worker

    from minyi.jobs.celery_app import app

    url = _redis_url()
    settings.MINYI_JOBS_TRANSPORT = "celery"
    # A queue of our own, so a stray production worker on this machine never takes the test's tasks.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    old = (app.conf.broker_url, dict(transport.QUEUES))
    app.conf.broker_url = url
    transport.QUEUES.update({"test.celery": queue, "": queue})
    SEEN.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30) as worker:
        yield worker
    app.conf.broker_url = old[0]
    transport.QUEUES.clear()
    transport.QUEUES.update(old[1])


def _wait_for(predicate: Any, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_jobs_reach_a_celery_worker_through_redis_and_apply_once(celery_worker: Any) -> None:
    with transaction.atomic():
        jobs = [registry.enqueue("test.celery", {"n": n}) for n in range(5)]
    ids = [j.pk for j in jobs if j is not None]
    assert _wait_for(lambda: Job.objects.filter(pk__in=ids, state=JobState.DONE).count() == 5)
    # A duplicate hand-off (the relay, or a broker redelivery) changes nothing.
    transport.deliver(ids, "test.celery")
    assert _wait_for(lambda: not Job.objects.filter(pk__in=ids, state=JobState.PENDING).exists())
    time.sleep(0.5)  # give a wrongly re-run duplicate the chance to show up in SEEN
    assert sorted(SEEN) == [0, 1, 2, 3, 4]


def test_a_hand_off_lost_before_the_broker_is_redriven_by_the_relay(celery_worker: Any, settings: Any) -> None:
    settings.MINYI_JOBS_TRANSPORT = "inline"
    transport._embedded = transport.EmbeddedWorker.__new__(transport.EmbeddedWorker)  # swallow the hand-off
    transport._embedded.submit = lambda ids: None  # type: ignore[method-assign]
    try:
        with transaction.atomic():
            job = registry.enqueue("test.celery", {"n": 42})
    finally:
        transport._embedded = None
    assert job is not None and Job.objects.get(pk=job.pk).state == JobState.PENDING
    settings.MINYI_JOBS_TRANSPORT = "celery"
    Job.objects.filter(pk=job.pk).update(available_at=job.available_at - transport.RELAY_AFTER)
    assert transport.relay_once() == 1
    assert _wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE)
    assert SEEN == [42]
