"""Periodic work (the SLA sweep, rollups, retention …) with a single-run lock.

Domains declare it in their ``jobs.py``::

    @periodic("sla.sweep", every=300)
    def sweep() -> None: ...

Celery beat (``minyi beat``) fires each one on its interval; the embedded worker of
``make demo`` does the same from its thread. Whoever fires it, ``run_periodic`` takes the
lock row first, so two beats, or a beat and a demo, never run the same work at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from minyi.jobs.models import PeriodicLock

logger = logging.getLogger("minyi.jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    fn: Callable[[], object]
    every: float  # seconds
    timeout: float  # the lock expires after this, so a killed runner does not block forever


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, *, every: float, timeout: float | None = None) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(fn: Callable[[], object]) -> Callable[[], object]:
        PERIODIC[name] = Periodic(name, fn, every, timeout or max(60.0, every * 2))
        return fn

    return register


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(name: str, timeout: float, *, min_interval: float = 0.0) -> bool:
    """Take the lock named ``name`` unless someone holds it, or it ran less than ``min_interval`` s ago."""
    now = timezone.now()
    until = now + dt.timedelta(seconds=timeout)
    try:
        with transaction.atomic():
            PeriodicLock.objects.get_or_create(name=name, defaults={"until": now - dt.timedelta(seconds=1)})
    except IntegrityError:
        pass  # created by a concurrent runner
    qs = PeriodicLock.objects.filter(name=name, until__lt=now)
    if min_interval > 0:
        from django.db.models import Q

        qs = qs.filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - dt.timedelta(seconds=min_interval)))
    return qs.update(holder=_holder(), until=until, last_run_at=now) == 1


def release(name: str, *, ok: bool, error: str = "") -> None:
    PeriodicLock.objects.filter(name=name).update(until=timezone.now(), last_ok=ok, last_error=error[:2000], holder="")


def run_periodic(name: str, *, respect_interval: bool = False) -> bool:
    """Run the periodic task ``name`` if nobody else is; True if it ran and succeeded."""
    spec = PERIODIC[name]
    if not acquire(name, spec.timeout, min_interval=spec.every * 0.9 if respect_interval else 0.0):
        return False
    try:
        spec.fn()
    except Exception as exc:
        logger.exception("periodic %s failed", name)
        release(name, ok=False, error="".join(traceback.format_exception_only(exc)).strip())
        return False
    release(name, ok=True)
    return True


def lag_seconds(name: str) -> float | None:
    """Seconds since ``name`` last ran, or None if it never did (for /metrics)."""
    last = PeriodicLock.objects.filter(name=name).values_list("last_run_at", flat=True).first()
    return None if last is None else (timezone.now() - last).total_seconds()
