"""Append-only audit tables, enforced by the database itself (triggers), not only by Python.

``ImmutableModel`` stops ``save()``/``delete()`` and ``ImmutableQuerySet`` stops
``update()``/``delete()``, but ``_raw_delete``, raw SQL and a psql session do not go
through them. These triggers refuse, on every audit table:

- UPDATE, except the sealer's: filling ``seal_seq``/``prev_hash``/``row_hash`` of a row
  whose ``seal_seq`` is still empty, with every other column unchanged;
- DELETE, except on tables with a retention period (the security log): a sealed row whose
  ``at`` is older than ``MIN_RETENTION_DAYS`` by the database's own clock;
- TRUNCATE (PostgreSQL), except inside Django's ``flush`` (``management/commands/flush.py``),
  which sets the transaction-local ``minyi.allow_truncate``.

The anchor table (``audit.ChainAnchor``, the sealer's bookmark of each chain) is guarded
too: no DELETE or TRUNCATE, and an UPDATE only moves a chain forward the way the sealer and
the retention job do (the end grows, the start moves up, the key is fixed once sealed).

On PostgreSQL a statement-level trigger also gives each inserting transaction its
transaction id *before* the rows take their ids from the sequence; the sealer relies on
it to know which ids may still be in flight (``minyi.audit.chain``).

What they do not stop, and ``minyi audit verify`` finds instead (with the external witness,
``minyi.audit.witness``): a superuser disabling the triggers, and on SQLite ``minyi flush``,
which lets Django's own flush through. Migrations install the triggers; on SQLite, where
Django rebuilds a table for many schema changes (dropping its triggers), ``post_migrate``
installs them again.
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
TRUNCATE_TRIGGER = "minyi_no_truncate"
SQLITE_TRIGGERS = ("minyi_append_only_update", "minyi_append_only_delete")
ANCHOR_TABLE = "audit_chainanchor"
MESSAGE = "minyi: audit rows are append-only"
# Set (``SET LOCAL``) only by the flush command, for its own transaction.
ALLOW_TRUNCATE = "minyi.allow_truncate"

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
CREATE OR REPLACE FUNCTION minyi_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only the test runner's flush, and only in a test database (pytest-django names them test_…): any
  -- session can set the setting, so in a production database it opens nothing.
  IF current_setting('{ALLOW_TRUNCATE}', true) = 'on' AND current_database() LIKE 'test\\_%' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '{MESSAGE}: TRUNCATE refused on %', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION minyi_audit_take_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN NULL;
END $$;
"""


def _pg_truncate_sql(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION minyi_audit_no_truncate()',
    ]


def _pg_sql(table: str, retention: bool) -> list[str]:
    return [
        PG_FUNCTIONS,
        f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" FOR EACH ROW '
        f"EXECUTE FUNCTION minyi_audit_guard('{'retention' if retention else 'none'}')",
        f'DROP TRIGGER IF EXISTS {XID_TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {XID_TRIGGER} BEFORE INSERT ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION minyi_audit_take_xid()',
        *_pg_truncate_sql(table),
    ]


# An anchor only moves forward: its end grows (a new seal_seq, a new last row), its start moves
# up to at most the row after its end (retention), its key is fixed once anything is sealed.
# Rolling it back or deleting it would let someone rebuild a chain from scratch.
ANCHOR_FORWARD = (
    'NEW."table" = OLD."table"'
    " AND NEW.last_seq >= OLD.last_seq AND NEW.last_id >= OLD.last_id"
    " AND (NEW.last_seq > OLD.last_seq OR (NEW.last_hash = OLD.last_hash AND NEW.last_id = OLD.last_id))"
    " AND NEW.base_seq >= OLD.base_seq AND NEW.base_seq <= NEW.last_seq + 1"
    " AND (NEW.base_seq > OLD.base_seq OR NEW.base_hash = OLD.base_hash)"
    " AND (OLD.last_seq = 0 OR NEW.key_id = OLD.key_id)"
)

PG_ANCHOR_FUNCTION = f"""
CREATE OR REPLACE FUNCTION minyi_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND {ANCHOR_FORWARD} THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{MESSAGE}: % refused on %.id=% (chain anchors only move forward)', TG_OP, TG_TABLE_NAME, OLD.id
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""


def anchor_statements(vendor: str) -> list[str]:
    """The SQL that creates (or replaces) the guard on the anchor table."""
    table = ANCHOR_TABLE
    if vendor == "postgresql":
        return [
            PG_FUNCTIONS,
            PG_ANCHOR_FUNCTION,
            f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
            f'CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" FOR EACH ROW EXECUTE FUNCTION minyi_anchor_guard()',
            *_pg_truncate_sql(table),
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[0]}_{table}",
            f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[1]}_{table}",
            f'CREATE TRIGGER {SQLITE_TRIGGERS[0]}_{table} BEFORE UPDATE ON "{table}" WHEN NOT ({ANCHOR_FORWARD}) '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            f'CREATE TRIGGER {SQLITE_TRIGGERS[1]}_{table} BEFORE DELETE ON "{table}" WHEN NOT minyi_audit_flushing() '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        ]
    return []  # pragma: no cover


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


def install_anchor_guard(schema_editor: Any) -> None:
    for sql in anchor_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def install_truncate_guard(schema_editor: Any, table: str) -> None:
    """PostgreSQL only (SQLite has no TRUNCATE): refuse TRUNCATE on ``table`` outside flush."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in [PG_FUNCTIONS, *_pg_truncate_sql(table)]:
            schema_editor.execute(sql, params=None)


def uninstall_truncate_guard(schema_editor: Any, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON "{table}"')


def uninstall(schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {XID_TRIGGER} ON "{table}"')
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON "{table}"')
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
            wanted: tuple[str, ...] = (TRIGGER, TRUNCATE_TRIGGER) if table == ANCHOR_TABLE else (TRIGGER, XID_TRIGGER, TRUNCATE_TRIGGER)
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
