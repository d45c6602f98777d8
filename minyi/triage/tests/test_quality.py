"""智能派单质量: live figures built from appeals that went through the real actions."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Category, Channel, Department
from minyi.triage import integration, quality
from minyi.triage.model import TriageModel, fit_model
from minyi.triage.models import TrainingExample
from minyi.triage.tests.test_integration import synthetic
from minyi.workflow.machine import State

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
WAGES = ("拖欠工资三个月", "本人在桂园路的鑫源超市工作，公司已拖欠三个月工资共计三万余元，多次讨要无果，请劳动监察部门帮助。")
OLD_MODEL = "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same tiny model twice: always confident ("sure"), never confident ("unsure", an older version)."""
    texts, labels = synthetic()
    model = fit_model(texts, labels, folds=3, target_precision=0.9)
    folder = tmp_path_factory.mktemp("quality")
    model.threshold = 0.0
    model.save(folder / "sure.npz")
    unsure = TriageModel.load(folder / "sure.npz")
    unsure.threshold = 1.01
    unsure.metadata = {**unsure.metadata, "trained_at": OLD_MODEL}
    unsure.save(folder / "unsure.npz")
    return {"sure": folder / "sure.npz", "unsure": folder / "unsure.npz"}


@pytest.fixture
def use(settings: Any, models: dict[str, Path]) -> Iterator[Any]:
    def install(name: str, *, auto: bool = False) -> None:
        settings.MINYI_TRIAGE_MODEL = str(models[name])
        settings.MINYI_AUTO_DISPATCH = auto
        integration._cache.clear()

    yield install
    integration._cache.clear()


def wage_claim(people: dict[str, Any], n: int = 0) -> Appeal:
    data = services.IntakeData(channel=Channel.objects.get(code="12345"), title=WAGES[0], content=f"{WAGES[1]}（{n}）")
    appeal = services.intake_appeal(data, by=people["operator"])[0]
    appeal.refresh_from_db()
    return appeal


def elsewhere(appeal: Appeal) -> Department:
    """A department that is none of the appeal's three suggestions."""
    suggested = {d["id"] for d in appeal.triage["departments"]}
    return Department.objects.exclude(pk__in=suggested).filter(code__in=["zjj", "cgj", "jtj", "hbj"]).order_by("code").first()  # type: ignore[return-value]


@pytest.fixture
def story(people: dict[str, Any], use: Any) -> dict[str, Appeal]:
    """Eight appeals, each with the same suggestion (区人社局 first), decided in every way that matters."""
    disp, admin = people["dispatcher"], people["admin"]
    rsj = Department.objects.get(code="rsj")
    a: dict[str, Appeal] = {}
    use("sure")
    a["accepted"] = wage_claim(people, 1)
    top = Category.objects.get(pk=a["accepted"].triage["categories"][0]["id"])
    wrong_category = Category.objects.exclude(pk=top.pk).filter(code="cxjs-sz").first()
    assert a["accepted"].triage["auto_dispatch"] is True and a["accepted"].triage["departments"][0]["id"] == rsj.pk
    services.dispatch_appeal(a["accepted"], rsj, category=top, by=disp)
    a["overridden"] = wage_claim(people, 2)
    services.dispatch_appeal(a["overridden"], elsewhere(a["overridden"]), category=wrong_category, by=disp)
    a["redispatched"] = wage_claim(people, 3)
    services.dispatch_appeal(a["redispatched"], rsj, by=disp)
    services.redispatch_appeal(a["redispatched"], elsewhere(a["redispatched"]), reason="非本部门职责", by=disp)
    use("unsure")
    a["unsure_dispatched"] = wage_claim(people, 4)
    assert a["unsure_dispatched"].triage["auto_dispatch"] is False
    services.dispatch_appeal(a["unsure_dispatched"], rsj, by=disp)
    a["waiting"] = wage_claim(people, 5)
    use("sure", auto=True)
    a["auto_kept"] = wage_claim(people, 6)
    a["auto_returned"] = wage_claim(people, 7)
    services.return_appeal(a["auto_returned"], reason="不属于本单位职责", by=admin)
    services.approve_return(a["auto_returned"], by=disp, reason="同意")
    a["auto_moved"] = wage_claim(people, 8)
    services.return_appeal(a["auto_moved"], reason="不属于本单位职责", by=admin)
    services.approve_return(a["auto_moved"], by=disp, reason="改派", redispatch_to=elsewhere(a["auto_moved"]))
    for key in ("auto_kept", "auto_returned", "auto_moved"):
        a[key].refresh_from_db()
        assert a[key].audit.filter(event="dispatch").first().actor_id is None  # type: ignore[union-attr]
    assert Appeal.objects.get(pk=a["auto_returned"].pk).state is State.PENDING_DISPATCH
    return a


def test_wilson_interval_on_known_cases() -> None:
    low, high = quality.wilson_interval(8, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert quality.wilson_interval(5, 5) == (pytest.approx(0.5655, abs=1e-4), 1.0)
    assert quality.wilson_interval(0, 5)[0] == 0.0  # type: ignore[index]
    assert quality.wilson_interval(0, 0) is None
    assert quality.Rate(2, 5).as_dict() == {"hits": 2, "n": 5, "value": 0.4, "low": 0.1176, "high": 0.7693}


def test_period_starts_at_local_midnight() -> None:
    now = dt.datetime(2026, 11, 24, 17, 30, tzinfo=dt.UTC)  # 2026-11-25 01:30 in Shanghai
    since, until = quality.period(7, now=now)
    assert since == dt.datetime(2026, 11, 19, tzinfo=SHANGHAI) and until == now
    with pytest.raises(ValueError, match="between 1 and 366"):
        quality.period(0)


def test_agreement_coverage_and_corrections(story: dict[str, Appeal]) -> None:
    report = quality.compute(30)
    t = report.total
    assert (t.appeals, t.suggested, report.coverage) == (8, 8, quality.Rate(6, 8))
    assert t.dispatched == 7  # all but the one still waiting
    # first dispatch: only the overridden one disagrees; final: overridden, redispatched and moved disagree, one waits
    assert report.agreement_first == quality.Rate(6, 7)
    assert report.agreement_final == quality.Rate(3, 6) and t.awaiting_redispatch == 1
    assert report.top3_final == quality.Rate(3, 6)  # the wrong departments were none of the three suggestions
    # confident and decided: accepted, overridden, redispatched, auto_kept, auto_moved
    assert report.confident_precision == quality.Rate(2, 5)
    assert report.auto_corrected == quality.Rate(2, 3)
    assert t.corrected == 3
    assert report.target_precision == 0.9 and report.precision_alarm  # upper bound 0.769 < 0.9
    (row,) = report.category_rows()
    assert row["suggested"] == 8 and row["code"] == story["accepted"].triage["categories"][0]["code"]
    # categories: the accepted one was filed under the suggestion, the overridden one not, the automatic ones under it
    assert row["category_agreement"] == {**quality.Rate(4, 5).as_dict()}
    versions = {r["trained_at"]: r for r in report.model_rows()}
    assert versions[OLD_MODEL]["suggested"] == 2 and versions[OLD_MODEL]["coverage"]["hits"] == 0
    assert not versions[OLD_MODEL]["serving"] and sum(r["serving"] for r in versions.values()) == 1
    assert report.corrections_since_model["total"] == TrainingExample.objects.count() > 0


def test_period_leaves_older_appeals_out(people: dict[str, Any], use: Any) -> None:
    use("sure")
    with time_machine.travel(dt.datetime.now(SHANGHAI) - dt.timedelta(days=40)):
        old = wage_claim(people, 40)
        services.dispatch_appeal(old, Department.objects.get(code="rsj"), by=people["dispatcher"])
    wage_claim(people, 41)
    assert quality.compute(30).total.appeals == 1
    report = quality.compute(90)
    assert report.total.appeals == 2 and report.agreement_first == quality.Rate(1, 1)


def test_examples_before_the_model_do_not_count(people: dict[str, Any], use: Any) -> None:
    use("sure")
    TrainingExample.objects.create(text="x", label="ldsb-qx", source=TrainingExample.Source.DISPATCH)
    assert quality.corrections_since(None)["total"] == 1
    assert quality.corrections_since("2999-01-01T00:00:00+00:00") == {"total": 0, **{s: 0 for s in TrainingExample.Source.values}}


def test_page_is_for_supervisors_leaders_and_admins(story: dict[str, Appeal], people: dict[str, Any]) -> None:
    client = Client()
    for name in ("handler", "dispatcher", "operator"):
        client.force_login(people[name])
        assert client.get("/triage/quality").status_code == 403
        assert 'href="/triage/quality"' not in client.get("/appeals/").content.decode()
    client.force_login(people["supervisor"])
    page = client.get("/triage/quality?days=7")
    assert page.status_code == 200
    html = page.content.decode()
    assert "智能派单质量" in html and 'href="/triage/quality"' in html
    assert "6 / 8" in html and "75.0%" in html  # coverage
    assert "2 / 5" in html and "40.0%" in html and "11.8% – 76.9%" in html  # precision of the confident set
    assert 'id="precision-alarm"' in html and "请系统管理员关闭自动派单" in html and "自动派单应当关闭" in html  # it is still on
    assert 'href="?days=7" aria-current="page"' in html
    client.force_login(people["leader"])
    assert client.get("/triage/quality?days=bogus").status_code == 200


def test_no_alarm_while_the_live_precision_can_still_reach_the_target(people: dict[str, Any], use: Any) -> None:
    use("sure")
    appeal = wage_claim(people, 1)
    services.dispatch_appeal(appeal, Department.objects.get(code="rsj"), by=people["dispatcher"])
    report = quality.compute()
    assert report.confident_precision == quality.Rate(1, 1) and not report.precision_alarm
    client = Client()
    client.force_login(people["admin"])
    html = client.get("/triage/quality").content.decode()
    assert "1 / 1" in html and 'id="precision-alarm"' not in html
    # One wrong department more: 1 of 2, upper Wilson bound 0.91 — still not below the target of 0.9.
    other = wage_claim(people, 2)
    services.dispatch_appeal(other, elsewhere(other), by=people["dispatcher"])
    report = quality.compute()
    assert report.confident_precision.interval[1] > 0.9 and not report.precision_alarm  # type: ignore[index]


def run_cli(*args: str) -> tuple[int, str, str]:
    from minyi.triage.management.commands.triage import Command

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as done:
        Command(stdout=out, stderr=err).run_from_argv(["minyi", "triage", "quality", *args])
    return int(done.value.code or 0), out.getvalue(), err.getvalue()


def test_cli_json_and_table(story: dict[str, Appeal]) -> None:
    code, out, _ = run_cli("--days", "30", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"days", "since", "until", "appeals", "suggested", "dispatched", "coverage", "agreement_first", "agreement_final", "top3_first",
            "top3_final", "confident_precision", "auto_dispatched", "auto_corrected", "awaiting_redispatch", "target_precision",
            "precision_alarm", "model", "corrections_since_model", "by_category", "by_model"} <= data.keys()
    assert data["confident_precision"] == {"hits": 2, "n": 5, "value": 0.4, "low": 0.1176, "high": 0.7693}
    assert data["model"]["threshold"] == 0.0 and data["model"]["target_precision"] == 0.9
    assert data["precision_alarm"] is True and data["auto_dispatch_enabled"] is True
    assert [r["suggested"] for r in data["by_model"]] == [6, 2] and data["by_model"][0]["serving"] is True
    code, out, _ = run_cli()
    assert code == 0 and "高置信建议准确率" in out and "2 / 5" in out and "警告" in out


@pytest.mark.parametrize("days", ["0", "367", "abc", "-3"])
def test_cli_bad_days_exits_2(days: str, db: None) -> None:
    code, out, err = run_cli("--days", days)
    assert code == 2 and out == ""
    assert err.startswith("错误 / error:") and "--days" in err
