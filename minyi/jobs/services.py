"""Operator actions on jobs: retry and discard dead letters. Each is audited in the security log."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from minyi.jobs.models import Job, JobState


@transaction.atomic
def retry_jobs(ids: list[int] | None, *, by: Any) -> int:
    """Failed jobs (or the given ones) go back to the queue with a fresh set of attempts."""
    qs = Job.objects.filter(state__in=[JobState.DEAD, JobState.DISCARDED])
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    picked = list(qs.values_list("pk", flat=True))
    n = Job.objects.filter(pk__in=picked).update(state=JobState.PENDING, attempts=0, available_at=timezone.now())
    if picked:
        from minyi.jobs.registry import _after_commit

        _after_commit(picked, None)
    _audit("job_retry", by, picked)
    return n


@transaction.atomic
def discard_jobs(ids: list[int], *, by: Any) -> int:
    picked = list(Job.objects.filter(pk__in=ids, state=JobState.DEAD).values_list("pk", flat=True))
    n = Job.objects.filter(pk__in=picked).update(state=JobState.DISCARDED)
    _audit("job_discard", by, picked)
    return n


def _audit(what: str, by: Any, ids: list[int]) -> None:
    if not ids:
        return
    from minyi.audit.models import SecurityKind
    from minyi.audit.services import record_security_event

    user = by if getattr(by, "pk", None) is not None else None
    record_security_event(
        SecurityKind.ADMIN_CHANGE, user=user, username="" if user else str(by), target=f"jobs:{what}", details={"ids": ids[:200], "count": len(ids)}
    )
