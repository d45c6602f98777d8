"""Celery tasks: thin wrappers over the same code the embedded worker runs."""

from __future__ import annotations

from celery import shared_task

from minyi.jobs import registry, transport
from minyi.jobs.periodic import run_periodic


@shared_task(name="minyi.jobs.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]
def run_jobs(ids: list[int]) -> int:
    return registry.run(registry.with_batch(ids))


@shared_task(name="minyi.jobs.relay", ignore_result=True)  # type: ignore[untyped-decorator]
def relay() -> int:
    return transport.relay_once()


@shared_task(name="minyi.jobs.periodic", ignore_result=True)  # type: ignore[untyped-decorator]
def periodic_task(name: str) -> bool:
    return run_periodic(name)
