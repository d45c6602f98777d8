"""Read-only cockpit queries on a streaming replica, when one is configured (``MINYI_REPLICA_URL``).

Leaders' figures scan millions of rows; on a replica they never compete with intake for the
primary's CPU and buffers. Only code that asks for it reads there (``replica_reads``): the
cockpit's pages. Everything else, and every write, stays on the primary, so nothing that must
see its own write can read a lagging replica. The replica is never migrated: it follows the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings

_replica: ContextVar[bool] = ContextVar("minyi_replica_reads", default=False)
REPLICA = "replica"

F = TypeVar("F", bound=Callable[..., Any])


def replica_enabled() -> bool:
    return REPLICA in settings.DATABASES and bool(getattr(settings, "MINYI_REPLICA_READS", True))


@contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _replica.set(True)
    try:
        yield
    finally:
        _replica.reset(token)


def replica_reads(view: F) -> F:
    """Run a read-only view's queries on the replica (a no-op without one)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading_from_replica():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if _replica.get() and replica_enabled() else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db != REPLICA
