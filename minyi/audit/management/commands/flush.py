"""Django's ``flush``, allowed past the SQLite delete guard on the audit tables.

Flush empties every table (the test runner does it between transactional tests). On
PostgreSQL it uses TRUNCATE, which row triggers do not see; on SQLite it uses DELETE,
which the guard refuses unless this command is the one running (``guard.flushing``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from minyi.audit.guard import flushing


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with flushing():
            super().handle(**options)
