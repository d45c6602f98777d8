"""Beat and the embedded worker seal the audit chains and apply retention (``minyi/audit/jobs.py``)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.audit.tests.helpers import events
from minyi.jobs.celery_app import beat_schedule
from minyi.jobs.periodic import PERIODIC, run_periodic


@pytest.mark.django_db
def test_sealing_and_retention_are_periodic_work() -> None:
    assert {"audit.seal", "audit.retention"} <= set(PERIODIC) and {"audit.seal", "audit.retention"} <= set(beat_schedule())
    events(3)
    assert run_periodic("audit.seal") is True
    assert sorted(SecurityEvent.objects.values_list("seal_seq", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_the_retention_job_runs_and_keeps_young_rows() -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=181)):
        events(1)
    [young] = events(1)
    assert run_periodic("audit.retention") is True
    assert SecurityEvent.objects.filter(pk=young.pk).exists()
    assert SecurityEvent.objects.filter(kind=SecurityKind.RETENTION).count() == 1
    assert SecurityEvent.objects.exclude(kind=SecurityKind.RETENTION).count() == 1
