"""Outbox handlers of the triage domain (``minyi.jobs``)."""

from __future__ import annotations

import logging
from typing import Any

from minyi.appeals.models import Appeal
from minyi.jobs.registry import handler

logger = logging.getLogger("minyi.triage")


@handler("triage.suggest", batch=True)
def suggest(payloads: list[dict[str, Any]]) -> None:
    """Store suggestions for newly registered appeals, once each (an appeal that has some is skipped).

    Runs inside the job's transaction: suggestions, the audit note and the job's "done"
    commit together, so a worker killed half-way leaves the job pending for the relay.
    A failure raises, and the outbox retries the job with back-off.
    """
    from minyi.triage import integration

    ids = [int(p["appeal_id"]) for p in payloads]
    appeals = {a.pk: a for a in Appeal.objects.select_related("grid").filter(pk__in=ids)}
    waiting = [appeals[i] for i in ids if i in appeals and not appeals[i].triage]
    for gone in set(ids) - set(appeals):
        logger.warning("appeal %s is gone; no triage suggestions", gone)
    # The model once for the whole batch: per call it classifies a few hundred texts a second, in batches several times that.
    model = integration.load_model()
    predictions = model.predict([f"{a.title}\n{a.content}" for a in waiting], k=3) if model is not None and waiting else [None] * len(waiting)
    for appeal, prediction in zip(waiting, predictions, strict=True):
        integration.apply_suggestions(appeal, only_if_missing=True, prediction=prediction)


@handler("triage.suggest_imported", batch=True)
def suggest_imported(payloads: list[dict[str, Any]]) -> None:
    """Suggestions for imported appeals: waiting ones as on intake but never auto-dispatched (a person decides
    on historical imports), the others (already handled) get the model's share only, with no audit note."""
    from minyi.triage import integration
    from minyi.triage.tasks import WAITING_STATES

    ids = [int(p["appeal_id"]) for p in payloads]
    rows = Appeal.objects.select_related("grid").filter(pk__in=ids)
    waiting = [a for a in rows if a.status in WAITING_STATES and not a.triage]
    model = integration.load_model()
    predictions = model.predict([f"{a.title}\n{a.content}" for a in waiting], k=3) if model is not None and waiting else [None] * len(waiting)
    for appeal, prediction in zip(waiting, predictions, strict=True):
        integration.apply_suggestions(appeal, only_if_missing=True, auto_dispatch=False, prediction=prediction)
    integration.add_model_suggestions(Appeal.objects.filter(pk__in=ids).exclude(status__in=WAITING_STATES))
