"""``minyi demo``: the dispatch model learns from the older demo appeals and is measured on the later ones."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max

from minyi.appeals.models import Appeal
from minyi.core.management.commands.demo import HOLDOUT
from minyi.triage import integration, quality
from minyi.triage.model import TriageModel, text_hash, text_hashes
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
WAITING = (State.REGISTERED, State.PENDING_DISPATCH)


@pytest.mark.django_db
def test_demo_model_never_saw_the_appeals_it_is_measured_on(settings: Any, tmp_path: Path) -> None:
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "demo.npz")
    integration._cache.clear()
    out = io.StringIO()
    with time_machine.travel(NOW, tick=True):
        call_command("demo", appeals=200, no_serve=True, stdout=out)
        report = quality.compute(30)
    integration._cache.clear()
    assert "registered before" in out.getvalue()
    cutoff = Appeal.objects.aggregate(newest=Max("created_at"))["newest"] - HOLDOUT
    model = TriageModel.load(tmp_path / "demo.npz")

    # The model learnt exactly the examples of appeals registered before the cutoff …
    examples = integration.examples_from_db(registered_before=cutoff)
    assert model.metadata["n_train"] == len(examples) < len(integration.examples_from_db())
    assert model.train_hashes is not None
    assert np.array_equal(model.train_hashes, text_hashes([text for text, _ in examples]))
    # … and not the dispatched appeals registered after it.
    later = Appeal.objects.filter(created_at__gte=cutoff)
    later_dispatched = [f"{title}\n{content}" for title, content in later.filter(dispatched_at__isnull=False).values_list("title", "content")]
    assert later_dispatched
    assert not all(text_hash(text) in set(model.train_hashes.tolist()) for text in later_dispatched)

    # Every later appeal, dispatched or not, carries the suggestion intake would have stored.
    assert later.count() > 20
    for appeal in later:
        assert appeal.triage["departments"], appeal.number
        assert appeal.triage["model"] == model.metadata["trained_at"]
        assert "urgency_flags" in appeal.triage and "duplicates" in appeal.triage  # intake's part is kept
    # Earlier appeals that went on are training data, not measured: no suggestion was added to them.
    earlier = Appeal.objects.filter(created_at__lt=cutoff).exclude(status__in=WAITING)
    assert earlier.exists()
    assert not any(appeal.triage.get("departments") for appeal in earlier)

    # So the quality page has figures to show.
    assert report.total.suggested > 20 and report.total.dispatched > 10
    assert report.agreement_final.n > 10 and report.coverage.n == report.total.suggested
