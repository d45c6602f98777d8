"""Helpers for the audit tests: write rows, and tamper with them the way an intruder with SQL would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from minyi.audit import guard
from minyi.audit.models import SecurityEvent
from minyi.audit.services import record_security_event

postgres_only_reason = "the PostgreSQL triggers and ALTER TABLE … DISABLE TRIGGER"


def events(n: int, kind: str = "login") -> list[SecurityEvent]:
    return [record_security_event(kind, username=f"user{i}", target=f"t{i}", details={"i": i, "ok": True}) for i in range(n)]


def disable_guard(table: str) -> None:
    """What a database superuser can do (and the test's transaction rolls back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending in the transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {guard.TRIGGER}')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for name in guard.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}_{table}")


def raw(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
