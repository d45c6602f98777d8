"""``minyi audit retention``: only security-log rows past the retention period go, and the chain still verifies."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from minyi.audit import chain
from minyi.audit.models import ChainAnchor, SecurityEvent, SecurityKind
from minyi.audit.retention import apply_retention
from minyi.audit.tests.helpers import events
from minyi.audit.verify import verify


@pytest.mark.django_db
def test_retention_deletes_only_rows_older_than_the_period_and_the_chain_still_verifies() -> None:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=200)):
        old = events(3)
    with time_machine.travel(now - dt.timedelta(days=179)):
        almost = events(2)
    fresh = events(1)
    result = apply_retention()
    assert result.deleted == 3 and result.through_seq == 3
    remaining = set(SecurityEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in old}
    assert {e.pk for e in [*almost, *fresh]} <= remaining
    [note] = SecurityEvent.objects.filter(kind=SecurityKind.RETENTION)
    assert note.details["deleted"] == 3 and note.details["base_seq"] == 4
    assert note.details["base_hash"] == ChainAnchor.objects.get(table="audit_securityevent").base_hash
    report = verify()
    assert report.ok, report.findings
    assert [c.first_seq for c in report.chains if c.table == "audit_securityevent"] == [4]


@pytest.mark.django_db
def test_retention_keeps_everything_younger_than_180_days() -> None:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=179, hours=23)):
        kept = events(2)
    assert apply_retention().deleted == 0
    assert SecurityEvent.objects.filter(pk__in=[e.pk for e in kept]).count() == 2
    assert verify().ok


@pytest.mark.django_db
def test_the_database_refuses_retention_run_with_a_clock_set_forward() -> None:
    events(2)
    with pytest.raises(IntegrityError, match="append-only"):
        apply_retention(now=timezone.now() + dt.timedelta(days=365))
    assert SecurityEvent.objects.count() == 2


@pytest.mark.django_db
def test_a_longer_period_keeps_more(settings: Any) -> None:
    settings.MINYI_SECURITY_LOG_RETENTION_DAYS = 365
    with time_machine.travel(timezone.now() - dt.timedelta(days=200)):
        events(1)
    assert apply_retention().deleted == 0


@pytest.mark.django_db
def test_a_period_below_180_days_is_refused(settings: Any) -> None:
    settings.MINYI_SECURITY_LOG_RETENTION_DAYS = 90
    with pytest.raises(ImproperlyConfigured, match="180"):
        apply_retention()


@pytest.mark.django_db
def test_retention_command_twice_and_json() -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=181)):
        events(2)
    out = StringIO()
    call_command("audit", "retention", "--json", stdout=out)
    assert json.loads(out.getvalue())["deleted"] == 2
    out = StringIO()
    call_command("audit", "retention", stdout=out)
    assert "删除" in out.getvalue() and " 0 行" in out.getvalue()
    chain.seal_all()
    assert verify().ok
