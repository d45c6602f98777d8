from __future__ import annotations

from pathlib import Path

from minyi.triage.evaluate import train
from minyi.triage.model import TriageModel

from . import make_dataset


def test_champion_challenger(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    texts, labels = make_dataset(n_per_class=25, seed=3)
    lines: list[str] = []
    first = train(texts, labels, out_path=out, champion_path=out, echo=lines.append, fit_kwargs={"folds": 3})
    assert first.promoted
    assert out.is_file()
    assert first.champion_macro_f1 is None
    assert any("challenger" in s for s in lines)
    assert any("champion" in s for s in lines)
    before = out.read_bytes()

    # A challenger with next to no capacity (C≈0: all weights vanish) is
    # worse on the same validation rows: it must not replace the champion,
    # and both figures must be reported.
    lines.clear()
    crippled = {"folds": 3, "heads": [{"kind": "svc", "C": 1e-6}]}
    worse = train(texts, labels, out_path=out, champion_path=out, echo=lines.append, seed=1, fit_kwargs=crippled)
    assert not worse.promoted
    assert worse.champion_macro_f1 is not None
    assert worse.challenger_macro_f1 < worse.champion_macro_f1
    assert out.read_bytes() == before
    assert sum(f"{worse.challenger_macro_f1:.4f}" in s or f"{worse.champion_macro_f1:.4f}" in s for s in lines) == 2

    # Same data again is "not worse" and is promoted.
    again = train(texts, labels, out_path=out, champion_path=out, echo=lines.append, fit_kwargs={"folds": 3})
    assert again.promoted
    assert again.challenger_macro_f1 >= (again.champion_macro_f1 or 0)
    md = TriageModel.load(out).metadata
    assert md["metrics"]["validation"]["champion_macro_f1"] == again.champion_macro_f1


def test_extra_examples_are_used(tmp_path: Path) -> None:
    texts, labels = make_dataset(n_per_class=20, seed=4, labels=["城乡建设", "交通运输"])
    extra_t, extra_l = make_dataset(n_per_class=20, seed=5, labels=["环境保护"])
    res = train(
        texts,
        labels,
        extra=zip(extra_t, extra_l, strict=True),
        out_path=tmp_path / "m.npz",
        echo=lambda s: None,
        fit_kwargs={"folds": 3},
    )
    assert "环境保护" in res.model.classes
    # Promoted, then refitted on every row, validation included (the default).
    assert res.validation["n"] > 0
    assert res.model.metadata["n_train"] == len(texts) + len(extra_t)
    assert res.validation["refit_on_all"] is True


def test_no_refit_keeps_the_model_that_was_validated(tmp_path: Path) -> None:
    texts, labels = make_dataset(n_per_class=20, seed=4)
    res = train(texts, labels, out_path=tmp_path / "m.npz", echo=lambda s: None, refit=False, fit_kwargs={"folds": 3})
    assert res.model.metadata["n_train"] + res.validation["n"] == len(texts)
    assert res.validation["refit_on_all"] is False


def test_a_refitted_champion_is_not_scored_on_rows_it_trained_on(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    texts, labels = make_dataset(n_per_class=25, seed=3)
    first = train(texts, labels, out_path=out, echo=lambda s: None, fit_kwargs={"folds": 3})
    champion = TriageModel.load(out)
    assert champion.train_hashes is not None and champion.train_hashes.size > 0
    pre_refit = first.validation["macro_f1"]

    # The same data again: the champion has seen every validation row, so its
    # recorded pre-refit score is the yardstick, not a flattering re-score.
    lines: list[str] = []
    again = train(texts, labels, out_path=out, champion_path=out, echo=lines.append, fit_kwargs={"folds": 3})
    assert again.validation["comparison"] == "its own validation score before its refit"
    assert again.champion_macro_f1 == pre_refit
    assert again.promoted  # same recipe, same rows: not worse
    assert any("before its refit" in s for s in lines)

    # New data: compared on the validation rows the champion never saw.
    more_t, more_l = make_dataset(n_per_class=25, seed=11)
    newer = train(texts + more_t, labels + more_l, out_path=out, champion_path=out, echo=lambda s: None, min_compare=5, fit_kwargs={"folds": 3})
    basis = newer.validation["comparison"]
    assert basis.endswith("validation rows the champion never saw")
    n_unseen = int(basis.split()[0])
    assert 5 <= n_unseen < newer.validation["n"]


def test_champions_from_before_the_hashes_are_compared_on_the_same_rows(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    texts, labels = make_dataset(n_per_class=25, seed=3)
    old = train(texts, labels, out_path=out, echo=lambda s: None, refit=False, fit_kwargs={"folds": 3}).model
    old.train_hashes = None
    old.save(out)
    res = train(texts, labels, out_path=out, champion_path=out, echo=lambda s: None, refit=False, fit_kwargs={"folds": 3})
    assert res.validation["comparison"] == "same validation rows"
    assert res.champion_macro_f1 == res.challenger_macro_f1
