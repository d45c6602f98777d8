"""Suggestions off the request path: an outbox job run after commit, the back-fill, sync mode as before."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.directory.models import Channel, Department
from minyi.jobs import registry
from minyi.jobs.models import Job, JobState
from minyi.triage import integration, tasks
from minyi.triage.model import TriageModel, fit_model
from minyi.triage.tests.test_integration import synthetic
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

NOISE = ("工地夜间施工噪音扰民", "青枫路附近工地连续三天晚上十点以后还在施工，噪音很大，孩子无法入睡。")
WAGES = ("拖欠工资三个月", "本人在桂园路的鑫源超市工作，公司已拖欠三个月工资共计三万余元，多次讨要无果，请劳动监察部门帮助。")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, labels = synthetic()
    path = tmp_path_factory.mktemp("triage-async") / "model.npz"
    fit_model(texts, labels, folds=3, target_precision=0.9).save(path)
    return path


@pytest.fixture
def installed(settings: Any, model_file: Path) -> Iterator[Path]:
    settings.MINYI_TRIAGE_MODEL = str(model_file)
    integration._cache.clear()
    yield model_file
    integration._cache.clear()


@pytest.fixture
def async_mode(settings: Any, installed: Path) -> None:
    settings.MINYI_TRIAGE_SUGGEST_MODE = "async"


def new_appeal(operator: Any, title: str, content: str) -> Appeal:
    data = services.IntakeData(channel=Channel.objects.get(code="12345"), title=title, content=content)
    return services.intake_appeal(data, by=operator)[0]


def bulk(operator: Any, n: int) -> list[Appeal]:
    """Appeals with no suggestions, as imports make them (bulk intake runs no hooks)."""
    items = [services.IntakeData(channel=Channel.objects.get(code="12345"), title=NOISE[0], content=f"{NOISE[1]}（第{i}次）") for i in range(n)]
    return services.bulk_intake(items, by=operator)


@pytest.mark.django_db(transaction=True)
def test_async_mode_stores_suggestions_only_after_the_intake_commits(async_mode: None, people: dict[str, Any]) -> None:
    with transaction.atomic():
        appeal = new_appeal(people["operator"], *NOISE)
        # Inside the caller's transaction: the job is written with the appeal, nothing is stored yet.
        assert Job.objects.filter(topic="triage.suggest", payload__appeal_id=appeal.pk, state=JobState.PENDING).count() == 1
        assert Appeal.objects.get(pk=appeal.pk).triage == {}
    appeal.refresh_from_db()  # the tests' transport runs jobs right after commit
    assert appeal.triage["categories"][0]["code"] == "hjbh-zs"
    assert appeal.triage["departments"][0]["code"] == "hbj"
    assert appeal.audit.filter(event="triage").count() == 1
    assert appeal.state is State.PENDING_DISPATCH
    assert Job.objects.get(topic="triage.suggest", payload__appeal_id=appeal.pk).state == JobState.DONE


@pytest.mark.django_db(transaction=True)
def test_an_intake_that_rolls_back_leaves_no_job(async_mode: None, people: dict[str, Any]) -> None:
    def failing() -> None:
        with transaction.atomic():
            new_appeal(people["operator"], *NOISE)
            raise RuntimeError("the caller failed after intake")

    with pytest.raises(RuntimeError):
        failing()
    assert not Appeal.objects.exists() and not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_async_mode_auto_dispatches_through_the_same_action(async_mode: None, people: dict[str, Any], settings: Any, tmp_path: Path) -> None:
    sure = TriageModel.load(Path(settings.MINYI_TRIAGE_MODEL))
    sure.threshold = 0.0
    sure.save(tmp_path / "sure.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "sure.npz")
    settings.MINYI_AUTO_DISPATCH = True
    appeal = new_appeal(people["operator"], *WAGES)
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED and appeal.department is not None and appeal.department.code == "rsj"
    assert appeal.audit.get(event="dispatch").actor_label == "系统"


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_keeps_the_appeal_is_retried_and_then_stores(
    async_mode: None, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("model server on fire")

    monkeypatch.setattr(integration, "suggest_for_text", broken)
    appeal = new_appeal(people["operator"], *NOISE)
    kept = Appeal.objects.get(pk=appeal.pk)
    assert kept.state is State.PENDING_DISPATCH and kept.triage == {}
    job = Job.objects.get(topic="triage.suggest", payload__appeal_id=appeal.pk)
    assert job.state == JobState.PENDING and job.attempts == 1 and "model server on fire" in job.last_error
    assert list(tasks.missing()) == [kept]
    monkeypatch.undo()
    with time_machine.travel(job.available_at + dt.timedelta(seconds=1), tick=False):
        assert registry.drain() == 1  # the retry, once its back-off is over
    assert Appeal.objects.get(pk=appeal.pk).triage["departments"][0]["code"] == "hbj"
    assert Appeal.objects.get(pk=appeal.pk).audit.filter(event="triage").count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_intakes_in_one_transaction_each_get_suggestions_once(async_mode: None, people: dict[str, Any]) -> None:
    with transaction.atomic():
        appeals = [new_appeal(people["operator"], NOISE[0], f"{NOISE[1]}（第{i}次）") for i in range(4)]
    assert Job.objects.filter(topic="triage.suggest", state=JobState.DONE).count() == 4
    for appeal in appeals:
        appeal.refresh_from_db()
        assert appeal.triage["departments"][0]["code"] == "hbj"
        assert appeal.audit.filter(event="triage").count() == 1


def test_sync_mode_stores_suggestions_inside_the_intake_call(installed: Path, people: dict[str, Any], settings: Any) -> None:
    assert settings.MINYI_TRIAGE_SUGGEST_MODE == "sync"  # the test suite's default
    appeal = new_appeal(people["operator"], *NOISE)
    assert not Job.objects.exists()
    assert Appeal.objects.get(pk=appeal.pk).triage["categories"][0]["code"] == "hjbh-zs"


def test_backfill_fills_waiting_appeals_without_suggestions_and_is_idempotent(installed: Path, people: dict[str, Any]) -> None:
    waiting = bulk(people["operator"], 3)
    done = new_appeal(people["operator"], *WAGES)  # has suggestions from intake
    dispatched = bulk(people["operator"], 1)[0]
    services.dispatch_appeal(dispatched, Department.objects.get(code="zjj"), by=people["dispatcher"])
    assert {a.pk for a in tasks.missing()} == {a.pk for a in waiting}
    before = Appeal.objects.get(pk=done.pk).triage
    seen: list[tuple[int, int]] = []
    assert tasks.backfill(progress=lambda advance, total: seen.append((advance, total))) == 3
    assert seen == [(1, 3)] * 3
    for appeal in waiting:
        appeal.refresh_from_db()
        assert appeal.triage["departments"][0]["code"] == "hbj"
        assert appeal.audit.filter(event="triage").count() == 1
    assert Appeal.objects.get(pk=done.pk).triage == before
    assert Appeal.objects.get(pk=dispatched.pk).triage == {}  # already dispatched: nothing to suggest
    notes = Appeal.objects.filter(audit__event="triage").count()
    assert tasks.backfill() == 0
    assert Appeal.objects.filter(audit__event="triage").count() == notes


def test_backfill_command_reports_what_it_stored(installed: Path, people: dict[str, Any]) -> None:
    from minyi.triage.management.commands.triage import Command

    bulk(people["operator"], 2)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done:
        Command(stdout=out, stderr=err).run_from_argv(["minyi", "triage", "backfill", "--limit", "1"])
    assert done.value.code == 0
    assert "已补算建议 1 件，仍缺 1 件" in out.getvalue()
    assert "补算建议" in err.getvalue()  # the progress bar
    with pytest.raises(SystemExit):
        Command(stdout=out, stderr=err).run_from_argv(["minyi", "triage", "backfill", "--no-progress"])
    assert "已补算建议 1 件，仍缺 0 件" in out.getvalue()
    assert not tasks.missing().exists()


def _confident_model(settings: Any, tmp_path: Path) -> None:
    """Every prediction is above the threshold, and auto-dispatch is switched on."""
    sure = TriageModel.load(Path(settings.MINYI_TRIAGE_MODEL))
    sure.threshold = 0.0
    sure.save(tmp_path / "sure.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "sure.npz")
    settings.MINYI_AUTO_DISPATCH = True


def _imported_wage_claims(operator: Any, n: int) -> list[Appeal]:
    items = [services.IntakeData(channel=Channel.objects.get(code="12345"), title=WAGES[0], content=f"{WAGES[1]}（第{i}件）") for i in range(n)]
    return services.bulk_intake(items, by=operator)


def _backfill_command(*args: str) -> tuple[str, str]:
    from minyi.triage.management.commands.triage import Command

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done:
        Command(stdout=out, stderr=err).run_from_argv(["minyi", "triage", "backfill", "--no-progress", *args])
    assert done.value.code == 0
    return out.getvalue(), err.getvalue()


def test_backfill_does_not_auto_dispatch_historical_imports_by_default(
    installed: Path, people: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    _confident_model(settings, tmp_path)
    imported = _imported_wage_claims(people["operator"], 2)
    assert tasks.backfill() == 2
    out, _ = _backfill_command()  # the command without --auto-dispatch: the same
    assert "已补算建议 0 件，仍缺 0 件" in out
    for appeal in imported:
        appeal.refresh_from_db()
        assert appeal.triage["auto_dispatch"] is True and appeal.triage["departments"][0]["code"] == "rsj"  # confident…
        assert appeal.state is State.PENDING_DISPATCH  # …yet left for a dispatcher
        assert not appeal.audit.filter(event="dispatch").exists()


def test_backfill_auto_dispatches_only_when_asked(installed: Path, people: dict[str, Any], settings: Any, tmp_path: Path) -> None:
    _confident_model(settings, tmp_path)
    first, second = _imported_wage_claims(people["operator"], 2)
    out, _ = _backfill_command("--limit", "1", "--auto-dispatch")
    assert "已补算建议 1 件，仍缺 1 件" in out
    first.refresh_from_db()
    assert first.state is State.DISPATCHED and first.department is not None and first.department.code == "rsj"
    assert first.audit.get(event="dispatch").actor_label == "系统"
    # The switch still rules: with MINYI_AUTO_DISPATCH off, --auto-dispatch stores suggestions only, and says so.
    settings.MINYI_AUTO_DISPATCH = False
    out, err = _backfill_command("--auto-dispatch")
    assert "已补算建议 1 件，仍缺 0 件" in out and "MINYI_AUTO_DISPATCH" in err
    second.refresh_from_db()
    assert second.triage["auto_dispatch"] is True and second.state is State.PENDING_DISPATCH


GAS = ("楼道里闻到燃气味", "湖滨新村3号楼楼道里燃气味很浓，怀疑燃气泄漏，请马上派人！")


def test_a_late_job_after_a_human_dispatch_raises_priority_through_the_workflow(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """Async mode: the dispatcher was quicker than the job. The job's raise shortens the running reply clock."""
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(monday, tick=False):
        [appeal] = services.bulk_intake([services.IntakeData(channel=Channel.objects.get(code="12345"), title=GAS[0], content=GAS[1])],
                                        by=people["operator"])
        appeal = services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), by=people["dispatcher"])
    assert (appeal.priority, appeal.reply_due_at) == ("normal", dt.datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI))
    with time_machine.travel(monday + dt.timedelta(minutes=10), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.suggest_one(appeal.pk)  # what the background job runs
    appeal.refresh_from_db()
    assert appeal.priority == "critical" and appeal.triage["priority"] == "critical"
    assert appeal.reply_due_at == dt.datetime(2026, 3, 2, 11, 10, tzinfo=SHANGHAI)  # 特急: 2 hours from when it became known
    assert appeal.state is State.DISPATCHED
    raised = appeal.audit.get(event="priority_raised")
    assert raised.actor_label == "系统" and "燃气" in raised.reason and raised.payload["to"] == "critical"
    assert appeal.audit.get(event="triage").payload.get("priority_raised_to") is None  # said once, by the action
    assert any(n.kind == "priority_raised:department" and n.appeal_number == appeal.number for n in notify.OUTBOX)


def test_help_lists_the_library_commands_and_ours() -> None:
    from minyi.triage.management.commands.triage import Command

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done:
        Command(stdout=out, stderr=err).run_from_argv(["minyi", "triage", "--help"])
    assert done.value.code == 0
    text = out.getvalue()
    assert "{train,eval,predict,duplicates}" in text
    assert "minyi triage backfill" in text and "--from-db" in text and "--auto-dispatch" in text


@pytest.mark.django_db(transaction=True)
def test_the_worker_classifies_a_batch_with_one_model_call(installed: Path, people: dict[str, Any], settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from minyi.jobs import transport
    from minyi.triage import jobs

    settings.MINYI_TRIAGE_SUGGEST_MODE = "async"
    monkeypatch.setattr(transport, "deliver", lambda ids, topic=None: None)  # the jobs wait; this test runs them as one batch
    appeals = [new_appeal(people["operator"], NOISE[0], f"{NOISE[1]}（第{i}次）") for i in range(6)]
    model = integration.load_model()
    assert model is not None
    calls: list[int] = []
    real = type(model).predict
    monkeypatch.setattr(type(model), "predict", lambda self, texts, k=3: calls.append(len(texts)) or real(self, texts, k=k))
    jobs.suggest([{"appeal_id": a.pk} for a in appeals])
    assert calls == [6]
    for appeal in appeals:
        appeal.refresh_from_db()
        assert appeal.triage["departments"][0]["code"] == "hbj" and appeal.audit.filter(event="triage").count() == 1
