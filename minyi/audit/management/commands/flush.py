"""Django's ``flush``, allowed past the append-only guards on the audit tables.

Flush empties every table (the test runner does it between transactional tests). On
PostgreSQL it uses TRUNCATE, which the guard refuses unless the transaction has set
``minyi.allow_truncate`` (``SET LOCAL``: it ends with the transaction); on SQLite it uses
DELETE, which the guard refuses unless this command is the one running (``guard.flushing``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from minyi.audit.guard import ALLOW_TRUNCATE, flushing


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        with flushing(), transaction.atomic(using=database):
            if connections[database].vendor == "postgresql":
                with connections[database].cursor() as cursor:
                    cursor.execute(f"SET LOCAL {ALLOW_TRUNCATE} = 'on'")
            super().handle(**options)
