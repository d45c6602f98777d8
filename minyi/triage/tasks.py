"""AI suggestions off the request path: the outbox job's body, and the back-fill sweep.

In "async" mode (``settings.MINYI_TRIAGE_SUGGEST_MODE``, the default outside tests) intake
writes a ``triage.suggest`` job into the outbox in its own transaction
(``integration.on_intake``); a worker runs ``minyi.triage.jobs.suggest`` after commit, in
batches, through ``integration.apply_suggestions`` — the same code, the same audit note
and the same auto-dispatch action as the synchronous path. A job that fails is retried
with back-off and, after its last try, listed by ``minyi jobs list`` for an operator.

``minyi triage backfill`` fills in every waiting appeal that has no suggestions (imports,
or appeals registered before a model was installed). It only stores suggestions and
raises priorities: it auto-dispatches (under the same ``MINYI_AUTO_DISPATCH`` switch) only
when asked to with ``--auto-dispatch``, because what it fills in is mostly imported,
historical appeals that nobody should find dispatched behind their back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models import QuerySet

from minyi.appeals.models import Appeal
from minyi.workflow.machine import State

logger = logging.getLogger("minyi.triage")

WAITING_STATES = (State.REGISTERED, State.PENDING_DISPATCH)


def suggest_one(appeal_id: int, *, auto_dispatch: bool = True) -> bool:
    """Suggestions for one appeal that has none yet; True when stored. Failures are logged, never raised.

    ``auto_dispatch=False`` stores suggestions (and raises the priority) but never dispatches.
    """
    from minyi.triage import integration

    try:
        appeal = Appeal.objects.select_related("grid").get(pk=appeal_id)
        return integration.apply_suggestions(appeal, only_if_missing=True, auto_dispatch=auto_dispatch)
    except Appeal.DoesNotExist:
        logger.warning("appeal %s is gone; no triage suggestions", appeal_id)
    except Exception:
        logger.exception("triage suggestions failed for appeal %s; `minyi triage backfill` will retry", appeal_id)
    return False


def missing() -> QuerySet[Appeal]:
    """Appeals waiting for dispatch without suggestions: a job that failed or never ran, or an import."""
    return Appeal.objects.filter(status__in=WAITING_STATES, triage={})


def backfill(*, limit: int | None = None, progress: Callable[[int, int], None] | None = None, auto_dispatch: bool = False) -> int:
    """Compute and store suggestions for every appeal in ``missing()``, oldest first; returns how many were stored.

    Idempotent: an appeal that has suggestions is skipped, also when a background job
    stores them while the sweep runs. ``progress(advance, total)`` is called per appeal.
    Confident appeals are dispatched automatically only with ``auto_dispatch=True`` (and
    ``settings.MINYI_AUTO_DISPATCH``); by default they wait for a dispatcher.
    """
    ids = list(missing().order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
    stored = 0
    for appeal_id in ids:
        stored += suggest_one(appeal_id, auto_dispatch=auto_dispatch)
        if progress is not None:
            progress(1, len(ids))
    return stored
