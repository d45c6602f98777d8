"""AI dispatch inside the platform: suggestions on intake, urgency, auto-dispatch, learning, duplicates."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minyi.appeals import demo_data, services
from minyi.appeals.models import Appeal
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.triage import integration
from minyi.triage.model import TriageModel, fit_model
from minyi.triage.models import TrainingExample
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event, State

CODES = ["cxjs-sz", "hjbh-zs", "ldsb-qx", "smjg-xf", "cxjs-wy"]


def synthetic(n_per_class: int = 24, seed: int = 3) -> tuple[list[str], list[str]]:
    """Training text from our own demo templates (never from the real data)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for code in CODES:
        for _ in range(n_per_class):
            texts.append(demo_data.example_text(code, rng))
            labels.append(code)
    return texts, labels


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, labels = synthetic()
    model = fit_model(texts, labels, folds=3, target_precision=0.9)
    path = tmp_path_factory.mktemp("triage") / "model.npz"
    model.save(path)
    return path


@pytest.fixture
def installed(settings: Any, model_file: Path) -> Iterator[Path]:
    settings.MINYI_TRIAGE_MODEL = str(model_file)
    integration._cache.clear()
    yield model_file
    integration._cache.clear()


def new_appeal(operator: Any, title: str, content: str, **extra: Any) -> Appeal:
    data = services.IntakeData(channel=Channel.objects.get(code="12345"), title=title, content=content, **extra)
    return services.intake_appeal(data, by=operator)[0]


def test_intake_stores_top3_suggestions_with_departments(installed: Path, people: dict[str, Any]) -> None:
    appeal = new_appeal(people["operator"], "工地夜间施工噪音扰民", "青枫路附近工地连续三天晚上十点以后还在施工，噪音很大，孩子无法入睡。")
    appeal.refresh_from_db()
    s = appeal.triage
    assert len(s["categories"]) == 3
    assert s["categories"][0]["code"] == "hjbh-zs"
    assert s["departments"][0]["code"] == "hbj"  # 区生态环境局
    assert s["reason_terms"]
    assert appeal.audit.filter(event="triage").exists()


def test_territorial_category_routes_to_the_street_of_the_place(installed: Path, people: dict[str, Any]) -> None:
    category = Category.objects.get(code="cxjs-wy")
    assert category.territorial
    suggestion = integration.suggest_for_text("湖滨新村电梯频繁故障无人维修，物业不管", grid_code="mhjd-hb")
    codes = {d["code"] for d in suggestion["departments"]}
    assert "mhjd" in codes  # 明湖街道 handles 物业 matters in its grid


def test_urgency_raises_priority_with_a_reason_and_never_lowers(installed: Path, people: dict[str, Any]) -> None:
    gas = new_appeal(people["operator"], "楼道里闻到燃气味", "湖滨新村3号楼楼道里燃气味很浓，怀疑燃气泄漏，请马上派人！")
    gas.refresh_from_db()
    assert gas.priority in ("urgent", "critical")
    note = gas.audit.get(event="triage")
    assert note.reason and note.payload["priority_raised_to"] == gas.priority
    calm = new_appeal(people["operator"], "建议增设健身器材", "小区健身器材太少，建议增设。", priority="critical")
    calm.refresh_from_db()
    assert calm.priority == "critical"


def test_auto_dispatch_only_when_enabled_and_confident(installed: Path, people: dict[str, Any], settings: Any, tmp_path: Path) -> None:
    text = ("拖欠工资三个月", "本人在桂园路的鑫源超市工作，公司已拖欠三个月工资共计三万余元，多次讨要无果，请劳动监察部门帮助。")
    settings.MINYI_AUTO_DISPATCH = True
    unsure = TriageModel.load(installed)
    unsure.threshold = 1.01  # nothing is confident enough
    unsure.save(tmp_path / "unsure.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "unsure.npz")
    manual = new_appeal(people["operator"], *text)
    assert Appeal.objects.get(pk=manual.pk).state is State.PENDING_DISPATCH
    sure = TriageModel.load(installed)
    sure.threshold = 0.0
    sure.save(tmp_path / "sure.npz")
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "sure.npz")
    auto = new_appeal(people["operator"], *text)
    auto.refresh_from_db()
    assert auto.state is State.DISPATCHED and auto.department.code == "rsj"
    assert auto.audit.get(event="dispatch").actor_label == "系统"
    settings.MINYI_AUTO_DISPATCH = False
    off = new_appeal(people["operator"], *text)
    assert Appeal.objects.get(pk=off.pk).state is State.PENDING_DISPATCH


def test_without_a_model_intake_still_works(settings: Any, people: dict[str, Any], tmp_path: Path) -> None:
    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "none.npz")
    integration._cache.clear()
    appeal = new_appeal(people["operator"], "路灯不亮", "明湖路路灯不亮已经一周。")
    appeal.refresh_from_db()
    assert appeal.triage["categories"] == [] and appeal.triage["model"] is None


def test_manual_dispatch_becomes_a_training_example(people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    category = Category.objects.get(code="cxjs-sz")
    services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), category=category, by=people["dispatcher"])
    example = TrainingExample.objects.get(appeal=appeal)
    assert example.label == "cxjs-sz" and example.source == "dispatch" and "路灯" in example.text
    pairs = integration.examples_from_db()
    assert ("明湖路路灯不亮\n明湖路一段路灯已经一周不亮，晚上出行不安全。", "cxjs-sz") in pairs


def test_duplicates_from_the_same_caller_or_place(people: dict[str, Any]) -> None:
    first = new_appeal(people["operator"], "桂园路井盖缺失", "桂园路人行道上一个井盖缺失，孩子放学经过很危险。", phone="13900004444",
                       grid=GridCell.objects.get(code="gyjd-jg"))
    found = integration.find_duplicates("桂园路人行道井盖缺失，孩子放学经过很危险，请尽快补上。", phone="13900004444")
    assert [d["number"] for d in found] == [first.number]
    assert integration.find_duplicates("完全不同的内容：公交线路太少", phone="13900004444") == []


def test_train_from_db_and_predict_via_the_command(people: dict[str, Any], appeal_in: Any, settings: Any, tmp_path: Path) -> None:
    import io

    settings.MINYI_TRIAGE_MODEL = str(tmp_path / "db-model.npz")
    texts, labels = synthetic(8)
    for text, label in zip(texts, labels, strict=True):
        TrainingExample.objects.create(text=text, label=label, source="dispatch")
    out = io.StringIO()
    with pytest.raises(SystemExit) as done:
        call_command_argv(["minyi", "triage", "train", "--from-db"], out)
    assert done.value.code == 0
    assert (tmp_path / "db-model.npz").is_file()
    assert "40" in out.getvalue()


def call_command_argv(argv: list[str], out: Any) -> None:
    from minyi.triage.management.commands.triage import Command

    command = Command(stdout=out)
    command.run_from_argv(argv)




def _registered(operator: Any, title: str, content: str, at: dt.datetime) -> Appeal:
    data = services.IntakeData(channel=Channel.objects.get(code="12345"), title=title, content=content, grid=GridCell.objects.get(code="mhjd-hb"))
    return services.intake_appeal(data, by=operator, now=at)[0]


def test_examples_registered_before_leave_out_later_appeals(people: dict[str, Any]) -> None:
    cutoff = dt.datetime(2026, 10, 1, tzinfo=SHANGHAI)
    zjj, category = Department.objects.get(code="zjj"), Category.objects.get(code="cxjs-sz")
    old = _registered(people["operator"], "明湖路路灯不亮", "明湖路路灯坏了一周。", cutoff - dt.timedelta(days=3))
    new = _registered(people["operator"], "青枫路路灯不亮", "青枫路路灯坏了三天。", cutoff + dt.timedelta(hours=1))
    services.dispatch_appeal(old, zjj, category=category, by=people["dispatcher"])  # a TrainingExample
    services.dispatch_appeal(new, zjj, category=category, by=people["dispatcher"])
    # Dispatched without the hook (as seed-demo does): learnt from the appeal itself.
    old_plain = _registered(people["operator"], "桂园路路灯不亮", "桂园路路灯坏了。", cutoff - dt.timedelta(days=1))
    new_plain = _registered(people["operator"], "湖滨路路灯不亮", "湖滨路路灯坏了。", cutoff)
    for appeal in (old_plain, new_plain):
        wf.perform(appeal, Event.DISPATCH, by=people["dispatcher"], department=zjj, category=category)
    TrainingExample.objects.create(text="历史导入的工单\n路灯", label="cxjs-sz", source="import")  # no appeal, no registration time

    before = {text for text, _ in integration.examples_from_db(registered_before=cutoff)}
    assert before == {"明湖路路灯不亮\n明湖路路灯坏了一周。", "桂园路路灯不亮\n桂园路路灯坏了。"}
    everything = {text for text, _ in integration.examples_from_db()}
    assert everything == before | {"青枫路路灯不亮\n青枫路路灯坏了三天。", "湖滨路路灯不亮\n湖滨路路灯坏了。", "历史导入的工单\n路灯"}


def test_model_suggestions_added_later_change_nothing_else(settings: Any, model_file: Path, people: dict[str, Any]) -> None:
    settings.MINYI_TRIAGE_MODEL = "/nonexistent/none.npz"
    integration._cache.clear()
    gas = new_appeal(people["operator"], "楼道里闻到燃气味", "湖滨新村3号楼楼道里燃气味很浓，怀疑燃气泄漏，请马上派人！")
    noise = new_appeal(people["operator"], "工地夜间施工噪音扰民", "青枫路附近工地连续三天晚上十点以后还在施工，噪音很大。")
    services.dispatch_appeal(gas, Department.objects.get(code="zjj"), by=people["dispatcher"])
    # Urgency rules run at intake (no model needed) and raised it; pretend they had not, to see that nothing raises it now.
    Appeal.objects.filter(pk=gas.pk).update(priority="normal")
    gas.refresh_from_db()
    assert gas.triage["departments"] == [] and gas.triage["urgency_flags"] and gas.reply_due_at is not None
    before = {a.pk: (a.priority, a.reply_due_at, a.status, a.audit.count(), a.triage["urgency_flags"]) for a in (gas, noise)}
    with_one = new_appeal(people["operator"], "小区噪音", "楼下广场舞噪音很大。")
    Appeal.objects.filter(pk=with_one.pk).update(triage={"departments": [{"id": 1}]})
    imported = new_appeal(people["operator"], "燃气管道漏气", "青枫路燃气管道漏气，味道很大。")
    Appeal.objects.filter(pk=imported.pk).update(triage={}, priority="normal")  # as an import arrives: never suggested on
    imported_audit = imported.audit.count()

    settings.MINYI_TRIAGE_MODEL = str(model_file)
    integration._cache.clear()
    ticks: list[tuple[int, int]] = []
    appeals = Appeal.objects.filter(pk__in=[gas.pk, noise.pk, with_one.pk, imported.pk])
    assert integration.add_model_suggestions(appeals, progress=lambda advance, total: ticks.append((advance, total))) == 3
    assert ticks == [(3, 3)]
    model = integration.load_model()
    assert model is not None
    for appeal in (gas, noise):
        appeal.refresh_from_db()
        assert appeal.triage["departments"] and appeal.triage["model"] == model.metadata["trained_at"]
        assert (appeal.priority, appeal.reply_due_at, appeal.status, appeal.audit.count(), appeal.triage["urgency_flags"]) == before[appeal.pk]
    assert noise.triage["departments"][0]["code"] == "hbj"
    assert Appeal.objects.get(pk=with_one.pk).triage == {"departments": [{"id": 1}]}  # had one: left alone
    imported.refresh_from_db()
    assert imported.triage["departments"] and imported.triage["urgency_flags"] and imported.triage["priority"] == "critical"
    assert imported.priority == "normal" and imported.audit.count() == imported_audit
    assert integration.add_model_suggestions(appeals) == 0
    integration._cache.clear()
