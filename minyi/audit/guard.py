"""Append-only audit tables, enforced by the database itself (triggers), not only by Python.

``ImmutableModel`` stops ``save()``/``delete()`` and ``ImmutableQuerySet`` stops
``update()``/``delete()``, but ``_raw_delete``, raw SQL and a psql session do not go
through them. These triggers refuse, on every audit table:

- UPDATE, except the sealer's: filling ``seal_seq``/``prev_hash``/``row_hash`` of a row
  whose ``seal_seq`` is still empty, with every other column unchanged;
- DELETE, except on tables with a retention period (the security log): a sealed row whose
  ``at`` is older than ``MIN_RETENTION_DAYS`` by the database's own clock.

On PostgreSQL a statement-level trigger also gives each inserting transaction its
transaction id *before* the rows take their ids from the sequence; the sealer relies on
it to know which ids may still be in flight (``minyi.audit.chain``).

What they do not stop, and ``minyi audit verify`` finds instead: TRUNCATE on PostgreSQL
(the test runner's flush uses it), a superuser disabling the triggers, and on SQLite
``minyi flush`` (``management/commands/flush.py``), which lets Django's own flush through.
Migrations install the triggers; on SQLite, where Django rebuilds a table for many
schema changes (dropping its triggers), ``post_migrate`` installs them again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

SEAL_COLUMNS = ("seal_seq", "prev_hash", "row_hash")
MIN_RETENTION_DAYS = 180
TRIGGER = "minyi_append_only"
XID_TRIGGER = "minyi_insert_xid"
SQLITE_TRIGGERS = ("minyi_append_only_update", "minyi_append_only_delete")
MESSAGE = "minyi: audit rows are append-only"

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION minyi_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL
       AND (to_jsonb(OLD) - 'seal_seq' - 'prev_hash' - 'row_hash') = (to_jsonb(NEW) - 'seal_seq' - 'prev_hash' - 'row_hash') THEN
      RETURN NEW;
    END IF;
  ELSIF TG_ARGV[0] = 'retention' AND OLD.seal_seq IS NOT NULL AND OLD.at < now() - interval '{MIN_RETENTION_DAYS} days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{MESSAGE}: % refused on %.id=%', TG_OP, TG_TABLE_NAME, OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION minyi_audit_take_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN NULL;
END $$;
"""


def _pg_sql(table: str, retention: bool) -> list[str]:
    return [
        PG_FUNCTIONS,
        f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" FOR EACH ROW '
        f"EXECUTE FUNCTION minyi_audit_guard('{'retention' if retention else 'none'}')",
        f'DROP TRIGGER IF EXISTS {XID_TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {XID_TRIGGER} BEFORE INSERT ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION minyi_audit_take_xid()',
    ]


def _sqlite_sql(table: str, columns: Sequence[str], retention: bool) -> list[str]:
    kept = ["id", *(c for c in columns if c not in SEAL_COLUMNS and c != "id")]
    unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in kept)
    # Django stores aware datetimes as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', which compares as text.
    old_enough = (
        f"(OLD.seal_seq IS NOT NULL AND OLD.\"at\" < strftime('%Y-%m-%d %H:%M:%f', 'now', '-{MIN_RETENTION_DAYS} days'))" if retention else "0"
    )
    return [
        f'DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[0]}_{table}',
        f'DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[1]}_{table}',
        f'CREATE TRIGGER {SQLITE_TRIGGERS[0]}_{table} BEFORE UPDATE ON "{table}" '
        f"WHEN NOT (OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL AND {unchanged}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        # minyi_audit_flushing() is registered on every connection (``register_sqlite_function``):
        # true only while Django's flush runs. Without it (the sqlite3 shell) the DELETE fails.
        f'CREATE TRIGGER {SQLITE_TRIGGERS[1]}_{table} BEFORE DELETE ON "{table}" '
        f"WHEN NOT minyi_audit_flushing() AND NOT {old_enough} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def statements(vendor: str, table: str, columns: Sequence[str], *, retention: bool = False) -> list[str]:
    """The SQL that creates (or replaces) the guard on ``table``; ``columns`` matter on SQLite only."""
    if vendor == "postgresql":
        return _pg_sql(table, retention)
    if vendor == "sqlite":
        return _sqlite_sql(table, columns, retention)
    return []  # pragma: no cover - minyi runs on these two


def install(schema_editor: Any, table: str, columns: Sequence[str], *, retention: bool = False) -> None:
    """From a migration: create (or replace) the guard on ``table``."""
    for sql in statements(schema_editor.connection.vendor, table, columns, retention=retention):
        schema_editor.execute(sql, params=None)


def uninstall(schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {XID_TRIGGER} ON "{table}"')
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{table}")


def missing_guards(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    """Names of this table's guard triggers that are absent or disabled (empty when all is well)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                [connection.ops.quote_name(table)],
            )
            present = {row[0] for row in cursor.fetchall()}
            wanted: tuple[str, ...] = (TRIGGER, XID_TRIGGER)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            present = {row[0] for row in cursor.fetchall()}
            wanted = tuple(f"{name}_{table}" for name in SQLITE_TRIGGERS)
        else:  # pragma: no cover
            return []
    return [name for name in wanted if name not in present]


# --- SQLite: let Django's flush through ------------------------------------------------------

_flushing: ContextVar[bool] = ContextVar("minyi_audit_flushing", default=False)


@contextlib.contextmanager
def flushing() -> Iterator[None]:
    """While Django's ``flush`` empties every table (tests between transactional cases)."""
    token = _flushing.set(True)
    try:
        yield
    finally:
        _flushing.reset(token)


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: the SQL function the SQLite delete trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("minyi_audit_flushing", 0, lambda: int(_flushing.get()), deterministic=False)
