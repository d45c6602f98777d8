"""A quiet, quick demo: no console notices while seeding, a port of one's choice, the model trained in the background."""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from minyi.accountability.models import Notification
from minyi.appeals.demo import seed_demo
from minyi.cli import demo_defaults
from minyi.workflow.calendar import SHANGHAI

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.django_db(transaction=True)  # real commits: the outbox runs after each, as under `minyi demo`
def test_seeding_prints_no_notices_but_fills_the_notification_centre(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.MINYI_NOTIFY_BACKEND = "console"
    settings.MINYI_JOBS_TRANSPORT = "inline"  # as under `minyi demo`: seeding must not hand its jobs to a thread
    with caplog.at_level(logging.INFO, logger="minyi.notify"):
        seed_demo(60, 7, anchor=dt.datetime(2026, 11, 20, tzinfo=SHANGHAI))
    assert [r.getMessage() for r in caplog.records if r.name == "minyi.notify"] == []
    assert Notification.objects.exists()  # the anchor's SLA sweep still reaches the in-app centre
    assert settings.MINYI_NOTIFY_BACKEND == "console" and settings.MINYI_JOBS_TRANSPORT == "inline"  # restored


def test_minyi_demo_is_quiet_by_default_and_leaves_explicit_settings_alone() -> None:
    environ: dict[str, str] = {}
    demo_defaults(["minyi", "demo"], environ)
    assert environ["MINYI_NOTIFY_BACKEND"] == "inapp" and environ["MINYI_LOG_LEVEL"] == "WARNING"
    chosen = {"MINYI_NOTIFY_BACKEND": "console", "MINYI_LOG_LEVEL": "INFO"}
    demo_defaults(["minyi", "demo"], chosen)
    assert chosen["MINYI_NOTIFY_BACKEND"] == "console" and chosen["MINYI_LOG_LEVEL"] == "INFO"
    other: dict[str, str] = {}
    demo_defaults(["minyi", "serve"], other)
    assert "MINYI_NOTIFY_BACKEND" not in other


def test_make_demo_takes_a_port() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^PORT \?= 8000$", makefile, re.M)
    assert "minyi demo --host $(HOST) --port $(PORT)" in makefile


@pytest.mark.django_db
def test_demo_refuses_a_bad_port() -> None:
    with pytest.raises(CommandError, match="端口"):
        call_command("demo", port=70000, no_serve=True)


def test_readme_lists_the_system_packages_and_every_printed_account() -> None:
    from minyi.appeals.demo import DEMO_ACCOUNTS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for package in ("npm", "gettext", "libpango-1.0-0", "fonts-noto-cjk", "chromium", "poppler-utils"):
        assert package in readme, package
    for username, *_ in DEMO_ACCOUNTS:
        assert f"| `{username}` |" in readme, username


def test_training_the_dispatch_model_raises_no_convergence_warning() -> None:
    import random

    from sklearn.exceptions import ConvergenceWarning

    from minyi.appeals import demo_data
    from minyi.triage.model import fit_model

    rng = random.Random(0)
    codes = sorted(demo_data.TEMPLATES)[:8]
    texts, labels = [], []
    for i in range(240):
        code = codes[i % len(codes)]
        texts.append(demo_data.example_text(code, rng))
        labels.append(code)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_model(texts, labels, folds=3)
    assert [str(w.message)[:80] for w in caught if issubclass(w.category, ConvergenceWarning)] == []
