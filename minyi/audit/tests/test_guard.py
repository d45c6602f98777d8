"""The database itself refuses to rewrite or delete audit rows (finding 4), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from minyi.accountability import topics
from minyi.accountability.models import RecordAudit
from minyi.audit import chain, guard
from minyi.audit.models import SecurityEvent
from minyi.audit.tests.helpers import events, raw
from minyi.conftest import intake
from minyi.workflow.models import AuditEvent, ImmutableError


def _one_row_each(people: dict[str, Any]) -> dict[str, Any]:
    intake(by=people["operator"])
    topics.create_topic("老旧小区加装电梯", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"], milestones=[("摸排需求", None)])
    events(1)
    return {
        "workflow_auditevent": AuditEvent.objects.order_by("id").first(),
        "accountability_recordaudit": RecordAudit.objects.order_by("id").first(),
        "audit_securityevent": SecurityEvent.objects.order_by("id").first(),
    }


TABLES = ["workflow_auditevent", "accountability_recordaudit", "audit_securityevent"]


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_update_and_delete_are_refused(people: dict[str, Any], table: str) -> None:
    row = _one_row_each(people)[table]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw(f'UPDATE "{table}" SET actor_label = %s WHERE id = %s', ["改写", row.pk])  # noqa: S608 - a fixed table name
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw(f'DELETE FROM "{table}" WHERE id = %s', [row.pk])  # noqa: S608 - a fixed table name
    assert type(row).objects.filter(pk=row.pk, actor_label=row.actor_label).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_raw_delete_and_queryset_update_are_refused(people: dict[str, Any], table: str) -> None:
    row = _one_row_each(people)[table]
    model = type(row)
    with pytest.raises(ImmutableError):
        model.objects.filter(pk=row.pk).update(reason="x") if hasattr(row, "reason") else model.objects.filter(pk=row.pk).update(target="x")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk)._raw_delete(connection.alias)
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_only_the_sealer_may_fill_the_seal_columns_once(people: dict[str, Any]) -> None:
    [event] = events(1)
    with pytest.raises(IntegrityError), transaction.atomic():  # sealing and changing a column at once
        raw("UPDATE audit_securityevent SET seal_seq = 1, row_hash = 'x', target = 'other' WHERE id = %s", [event.pk])
    unsealed = SecurityEvent.objects.filter(seal_seq__isnull=True).count()  # role grants of the fixture's people are logged too
    assert chain.seal_chain(chain.SECURITY_EVENT) == unsealed
    sealed_at = SecurityEvent.objects.get(pk=event.pk).seal_seq
    assert sealed_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():  # re-sealing a sealed row
        raw("UPDATE audit_securityevent SET seal_seq = 999, row_hash = 'forged' WHERE id = %s", [event.pk])
    assert SecurityEvent.objects.get(pk=event.pk).seal_seq == sealed_at


@pytest.mark.django_db
def test_delete_is_allowed_only_for_sealed_security_rows_past_180_days() -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=200)):
        [old, old_unsealed] = events(2)
    chain.seal_chain(chain.SECURITY_EVENT, limit=1)  # seals `old` only
    [young] = events(1)
    chain.seal_chain(chain.SECURITY_EVENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("DELETE FROM audit_securityevent WHERE id = %s", [young.pk])
    assert raw("DELETE FROM audit_securityevent WHERE id = %s", [old.pk]) == 1
    assert SecurityEvent.objects.filter(pk=young.pk).exists()
    assert SecurityEvent.objects.get(pk=old_unsealed.pk).seal_seq == 2  # sealed by the second run, so it stayed


@pytest.mark.django_db
def test_appeal_audit_rows_are_never_deleted_even_when_old(people: dict[str, Any]) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=400)):
        intake(by=people["operator"])
    chain.seal_chain(chain.AUDIT_EVENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("DELETE FROM workflow_auditevent")


@pytest.mark.django_db
def test_every_guard_is_installed() -> None:
    for item in chain.CHAINS:
        assert guard.missing_guards(connection, item.table) == []
    assert guard.missing_guards(connection, guard.ANCHOR_TABLE) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds tables (and drops their triggers) on schema changes")
@pytest.mark.django_db
def test_sqlite_guards_come_back_after_migrate() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {guard.SQLITE_TRIGGERS[0]}_audit_securityevent")
    assert guard.missing_guards(connection, "audit_securityevent") == [f"{guard.SQLITE_TRIGGERS[0]}_audit_securityevent"]
    from django.apps import apps

    chain.reinstall_sqlite_guards(apps.get_app_config("audit"), using="default")
    assert guard.missing_guards(connection, "audit_securityevent") == []


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_audit_tables(district: None) -> None:
    """The test runner flushes between transactional tests (DELETE on SQLite, TRUNCATE on PostgreSQL)."""
    events(2)
    chain.seal_all()
    call_command("flush", interactive=False, verbosity=0)
    assert not SecurityEvent.objects.exists()
    events(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("DELETE FROM audit_securityevent")  # outside flush the guard holds again
