"""The outbox: written in the action's transaction, delivered at least once, applied exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from minyi.jobs import periodic, registry, transport
from minyi.jobs.models import Job, JobState, PeriodicLock

pytestmark = pytest.mark.django_db

APPLIED: list[dict[str, Any]] = []
BATCHES: list[int] = []


@registry.handler("test.record", max_attempts=3)
def _record(payload: dict[str, Any]) -> None:
    if payload.get("fail"):
        raise RuntimeError("peer is down")
    # A database effect inside the job's transaction: rolled back with it if the job fails.
    PeriodicLock.objects.create(name=f"effect-{payload['n']}", until=timezone.now())
    APPLIED.append(payload)


@registry.handler("test.batch", batch=True)
def _batch(payloads: list[dict[str, Any]]) -> None:
    if any(p.get("poison") for p in payloads):
        raise ValueError("poison in batch")
    BATCHES.append(len(payloads))
    APPLIED.extend(payloads)


@pytest.fixture(autouse=True)
def _clean() -> None:
    APPLIED.clear()
    BATCHES.clear()


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(settings: Any) -> None:
    settings.MINYI_JOBS_TRANSPORT = "inline"  # never delivered in this test
    def failing_action() -> None:
        with transaction.atomic():
            registry.enqueue("test.record", {"n": 1})
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        failing_action()
    assert not Job.objects.exists()


def test_duplicate_delivery_applies_once() -> None:
    job = registry.enqueue("test.record", {"n": 1})
    assert job is not None
    assert registry.run([job.pk]) == 1
    assert registry.run([job.pk, job.pk]) == 0  # the relay re-sends: already done
    assert [p["n"] for p in APPLIED] == [1]
    assert PeriodicLock.objects.filter(name="effect-1").count() == 1
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_dedupe_key_enqueues_once() -> None:
    assert registry.enqueue("test.record", {"n": 1}, dedupe_key="appeal-7") is not None
    assert registry.enqueue("test.record", {"n": 1}, dedupe_key="appeal-7") is None
    assert Job.objects.filter(dedupe_key="appeal-7").count() == 1


def test_failures_back_off_then_go_to_the_dead_letters() -> None:
    job = registry.enqueue("test.record", {"n": 2, "fail": True})
    assert job is not None
    start = timezone.now()
    for attempt in range(1, 4):
        with time_machine.travel(start + dt.timedelta(hours=attempt), tick=False):
            assert registry.run([job.pk]) == 0
        job.refresh_from_db()
        assert job.attempts == attempt and "peer is down" in job.last_error
    assert job.state == JobState.DEAD
    assert not PeriodicLock.objects.filter(name="effect-2").exists()  # the failed effect was rolled back


def test_a_failed_job_waits_for_its_backoff() -> None:
    job = registry.enqueue("test.record", {"n": 3, "fail": True})
    assert job is not None
    registry.run([job.pk])
    job.refresh_from_db()
    assert job.state == JobState.PENDING and job.available_at > timezone.now()
    assert registry.due_ids() == []  # not due yet: the relay leaves it alone


def test_batch_handler_runs_once_for_many_and_isolates_a_poison_payload() -> None:
    ids = registry.enqueue_many("test.batch", [{"n": i} for i in range(5)])
    assert registry.run(ids) == 5
    assert BATCHES == [5]
    APPLIED.clear()
    ids = registry.enqueue_many("test.batch", [{"n": 10}, {"n": 11, "poison": True}, {"n": 12}])
    assert registry.run(ids) == 2  # the batch failed, so each ran alone: two succeeded
    assert sorted(p["n"] for p in APPLIED) == [10, 12]
    states = dict(Job.objects.filter(pk__in=ids).values_list("payload__n", "state"))
    assert states == {10: JobState.DONE, 11: JobState.PENDING, 12: JobState.DONE}


def test_relay_redrives_a_lost_hand_off(settings: Any) -> None:
    settings.MINYI_JOBS_TRANSPORT = "inline"
    with transaction.atomic():
        job = Job.objects.create(topic="test.record", payload={"n": 4}, available_at=timezone.now(), created_at=timezone.now())
    # No hand-off at all (as if the process died right after commit): the relay finds it.
    settings.MINYI_JOBS_TRANSPORT = "sync"
    assert transport.relay_once() == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE and [p["n"] for p in APPLIED] == [4]


def test_retry_and_discard_dead_letters_are_audited() -> None:
    from minyi.audit.models import SecurityEvent
    from minyi.jobs import services

    job = registry.enqueue("test.record", {"n": 5, "fail": True})
    assert job is not None
    Job.objects.filter(pk=job.pk).update(state=JobState.DEAD, attempts=3)
    assert services.retry_jobs([job.pk], by="cli") == 1
    job.refresh_from_db()
    assert job.state in (JobState.PENDING,) and job.attempts in (0, 1)
    Job.objects.filter(pk=job.pk).update(state=JobState.DEAD)
    assert services.discard_jobs([job.pk], by="cli") == 1
    assert Job.objects.get(pk=job.pk).state == JobState.DISCARDED
    assert SecurityEvent.objects.filter(target__startswith="jobs:").count() == 2


def test_periodic_work_takes_a_single_run_lock() -> None:
    ran: list[int] = []
    periodic.PERIODIC["test.tick"] = periodic.Periodic("test.tick", lambda: ran.append(1), every=60, timeout=60)
    try:
        assert periodic.acquire("test.tick", 60) is True
        assert periodic.run_periodic("test.tick") is False  # someone holds it
        periodic.release("test.tick", ok=True)
        assert periodic.run_periodic("test.tick") is True
        assert periodic.run_periodic("test.tick", respect_interval=True) is False  # ran a moment ago
        assert ran == [1]
        lag = periodic.lag_seconds("test.tick")
        assert lag is not None and lag >= 0
    finally:
        del periodic.PERIODIC["test.tick"]


def test_the_celery_hand_off_goes_through_minyis_app_and_its_broker(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare shared task in a web process would bind to Celery's default app (amqp://localhost): nobody listens there."""
    from minyi.jobs.celery_app import app

    sent: list[tuple[str, Any, Any]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, queue=None, **kw: sent.append((name, args, queue)))
    settings.MINYI_JOBS_TRANSPORT = "celery"
    transport.deliver([7, 8], "triage.suggest")
    assert sent == [("minyi.jobs.run", [[7, 8]], "triage")]
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_a_hand_off_of_one_batch_job_takes_the_other_due_ones_along(settings: Any) -> None:
    settings.MINYI_JOBS_TRANSPORT = "inline"  # nothing runs on commit here
    ids = registry.enqueue_many("test.batch", [{"n": i} for i in range(5)])
    single = registry.enqueue("test.record", {"n": 9})
    assert single is not None
    assert sorted(registry.with_batch(ids[:1])) == sorted(ids)  # same topic only
    assert registry.with_batch([single.pk]) == [single.pk]  # not a batch topic: as given
    assert registry.run(registry.with_batch(ids[:1])) == 5 and BATCHES == [5]


def test_an_actions_notifications_are_written_in_its_transaction(people: dict[str, Any], appeal_in: Any) -> None:
    """SMS, e-mail and the in-app centre: a crash right after commit must not lose the department's notice."""
    from minyi.core import notify
    from minyi.directory.models import Department
    from minyi.workflow import services as wf
    from minyi.workflow.machine import Event, State

    appeal = appeal_in(State.PENDING_DISPATCH)
    notify.OUTBOX.clear()
    with transaction.atomic():
        wf.perform(appeal, Event.DISPATCH, by=people["dispatcher"], department=Department.objects.get(code="zjj"))
        job = Job.objects.filter(topic="notify.deliver").latest("id")
        assert job.payload["notices"][0]["appeal_number"] == appeal.number
        assert notify.OUTBOX == []  # nothing sent before commit
    registry.run([job.pk])
    assert any(n.appeal_number == appeal.number for n in notify.OUTBOX)
