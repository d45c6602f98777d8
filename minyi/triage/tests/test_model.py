from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minyi.triage.evaluate import evaluate
from minyi.triage.model import TriageModel, choose_threshold, data_fingerprint, fit_model

from . import make_dataset


@pytest.fixture(scope="module")
def trained() -> tuple[TriageModel, list[str], list[str]]:
    texts, labels = make_dataset(n_per_class=30, seed=1)
    return fit_model(texts, labels, folds=3), texts, labels


def test_predicts_topics_with_probabilities(trained: tuple[TriageModel, list[str], list[str]]) -> None:
    model, _, _ = trained
    test_texts, test_labels = make_dataset(n_per_class=10, seed=99)
    P = model.predict_proba(test_texts)
    assert P.shape == (len(test_texts), len(model.classes))
    assert np.allclose(P.sum(axis=1), 1.0, atol=1e-4)
    acc = np.mean(np.array(model.classes)[P.argmax(axis=1)] == np.array(test_labels))
    assert acc > 0.9


def test_prediction_has_top3_reasons_and_abstain_flag(trained: tuple[TriageModel, list[str], list[str]]) -> None:
    model, _, _ = trained
    pred = model.predict_one("学校食堂饭菜质量差\n孩子在学校食堂吃不饱，学校强制学生订购教辅资料")
    assert pred.label == "教育文体"
    assert len(pred.top) == 3
    assert pred.top[0].probability >= pred.top[1].probability
    assert pred.reason_terms
    assert all(isinstance(t, str) and len(t) >= 2 for t in pred.reason_terms)
    assert pred.certainty is not None
    assert pred.abstain == (pred.certainty < model.threshold)


def test_metadata(trained: tuple[TriageModel, list[str], list[str]]) -> None:
    model, texts, labels = trained
    md = model.metadata
    assert md["data_fingerprint"] == data_fingerprint(texts, labels)
    assert md["data_fingerprint"] == data_fingerprint(texts[::-1], labels[::-1])
    assert set(md["label_counts"]) == set(model.classes) == set(labels)
    assert md["trained_at"].endswith("+00:00")
    assert 0.0 < model.threshold <= 1.0
    assert md["metrics"]["oof_macro_f1"] is not None


def test_save_load_roundtrip_is_exact(trained: tuple[TriageModel, list[str], list[str]], tmp_path: Path) -> None:
    model, texts, _ = trained
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = TriageModel.load(path)
    assert loaded.classes == model.classes
    assert loaded.threshold == model.threshold
    assert loaded.metadata == model.metadata
    np.testing.assert_allclose(loaded.predict_proba(texts[:20]), model.predict_proba(texts[:20]), rtol=1e-5, atol=1e-6)
    assert loaded.predict_one(texts[0]).reason_terms == model.predict_one(texts[0]).reason_terms


def test_load_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, header=np.array([{"format": "minyi.triage"}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        TriageModel.load(path)


def test_load_refuses_foreign_npz(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, header=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError, match=r"not a minyi\.triage model"):
        TriageModel.load(path)


def test_choose_threshold_reaches_target() -> None:
    conf = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, True, False, True, False])
    assert choose_threshold(conf, correct, 1.0) == 0.9
    assert choose_threshold(conf, correct, 0.8) == 0.7
    assert choose_threshold(conf, np.zeros(6, dtype=bool), 0.5) == 1.0


def test_choose_threshold_never_splits_ties() -> None:
    conf = np.array([0.9, 0.9, 0.5])
    correct = np.array([True, False, True])
    # Accepting only one of the tied 0.9s is impossible; precision at 0.9 is 0.5.
    assert choose_threshold(conf, correct, 0.9) == 1.0


def test_evaluate_uses_stored_threshold(trained: tuple[TriageModel, list[str], list[str]]) -> None:
    model, _, _ = trained
    texts, labels = make_dataset(n_per_class=8, seed=5)
    report = evaluate(model, texts, labels, timing=False)
    assert report["abstain"]["threshold"] == round(model.threshold, 6)
    _, cert = model.predict_proba_certainty(texts)
    assert report["abstain"]["coverage"] == round(float((cert >= model.threshold).mean()), 4)
    assert set(report["per_class"]) == set(labels)


def test_training_needs_two_labels() -> None:
    with pytest.raises(ValueError, match="two distinct labels"):
        fit_model(["a\nb", "c\nd"], ["x", "x"])


def test_tiny_training_set_refuses_auto_dispatch() -> None:
    model = fit_model(["公交线路\n公交", "学校收费\n学校"], ["交通运输", "教育文体"])
    assert model.threshold == 1.0


@pytest.fixture(scope="module")
def noisy() -> tuple[TriageModel, list[str], list[str]]:
    # Some flipped labels, so that there are errors for the certainty model
    # to learn from.
    texts, labels = make_dataset(n_per_class=30, seed=3)
    classes = sorted(set(labels))
    labels = [classes[(classes.index(lab) + 1) % len(classes)] if i % 9 == 0 else lab for i, lab in enumerate(labels)]
    return fit_model(texts, labels, folds=3, target_precision=0.8), texts, labels


def test_certainty_model_decides_abstention(noisy: tuple[TriageModel, list[str], list[str]], tmp_path: Path) -> None:
    model, texts, labels = noisy
    assert model.certainty_W is not None
    assert model.metadata["abstain_on"] == "certainty"
    P, cert = model.predict_proba_certainty(texts[:30])
    assert cert.shape == (30,)
    assert np.all((cert > 0) & (cert < 1))
    for pred, c in zip(model.predict(texts[:30]), cert, strict=True):
        assert pred.certainty == round(float(c), 4)
        assert pred.abstain == (float(c) < model.threshold)
    report = evaluate(model, texts, labels, timing=False)
    assert report["abstain"]["coverage"] == round(float((model.predict_proba_certainty(texts)[1] >= model.threshold).mean()), 4)
    path = tmp_path / "v2.npz"
    model.save(path)
    loaded = TriageModel.load(path)
    assert loaded.certainty_W is not None
    np.testing.assert_allclose(loaded.predict_proba_certainty(texts[:30])[1], cert, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.predict_proba(texts[:30]), P, rtol=1e-5, atol=1e-6)


def test_version_1_models_still_load_and_abstain_on_top_probability(
    noisy: tuple[TriageModel, list[str], list[str]], tmp_path: Path
) -> None:
    texts, labels = make_dataset(n_per_class=20, seed=4)
    old = fit_model(texts, labels, folds=3, certainty=False, stack_blocks=False, heads=[{"kind": "svc"}, {"kind": "cnb"}])
    assert old.certainty_W is None
    path = tmp_path / "v1.npz"
    old.save(path)
    with np.load(path, allow_pickle=False) as z:
        assert b'"format_version": 1' in z["header"].tobytes()
        assert "certainty_W" not in z.files
    loaded = TriageModel.load(path)
    P, cert = loaded.predict_proba_certainty(texts[:10])
    np.testing.assert_allclose(cert, P.max(axis=1))
    pred = loaded.predict_one(texts[0])
    assert pred.abstain == (pred.confidence < loaded.threshold)


def test_per_block_stacker_inputs_add_up_and_survive_a_round_trip(tmp_path: Path) -> None:
    texts, labels = make_dataset(n_per_class=30, seed=3)
    classes = sorted(set(labels))
    labels = [classes[(classes.index(lab) + 1) % len(classes)] if i % 9 == 0 else lab for i, lab in enumerate(labels)]
    model = fit_model(texts, labels, folds=3, target_precision=0.8, stack_blocks=True)
    assert model.per_block and model.metadata["stack_blocks"] is True
    n_scores = len(model.heads) * len(model.classes)
    Z = model.stacker_inputs(model.featurizer.transform_blocks(texts[:20]))
    assert Z.shape == (20, n_scores * (1 + len(model.featurizer.blocks)))
    full = model.head_scores(model.featurizer.transform(texts[:20]))
    np.testing.assert_allclose(Z[:, :n_scores], full, rtol=1e-4, atol=1e-4)
    shares = Z[:, n_scores:].reshape(20, len(model.featurizer.blocks), n_scores).sum(axis=1)
    np.testing.assert_allclose(shares + model._stack_b, full, rtol=1e-4, atol=1e-4)
    path = tmp_path / "v3.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as z:
        assert b'"format_version": 3' in z["header"].tobytes()
    loaded = TriageModel.load(path)
    assert loaded.per_block
    np.testing.assert_allclose(loaded.predict_proba_certainty(texts[:20])[1], model.predict_proba_certainty(texts[:20])[1], rtol=1e-5, atol=1e-6)


def test_version_2_models_without_block_inputs_still_load(tmp_path: Path) -> None:
    texts, labels = make_dataset(n_per_class=20, seed=5)
    flat = fit_model(texts, labels, folds=3)
    path = tmp_path / "v2.npz"
    flat.save(path)
    with np.load(path, allow_pickle=False) as z:
        header = z["header"].tobytes()
    assert b'"format_version": 2' in header or b'"format_version": 1' in header
    loaded = TriageModel.load(path)
    assert not loaded.per_block
    np.testing.assert_allclose(loaded.predict_proba(texts[:10]), flat.predict_proba(texts[:10]), rtol=1e-5, atol=1e-6)


def test_nbsvm_head_alone_classifies() -> None:
    texts, labels = make_dataset(n_per_class=20, seed=6)
    model = fit_model(texts, labels, folds=3, heads=[{"kind": "nbsvm", "C": 0.3}])
    test_texts, test_labels = make_dataset(n_per_class=5, seed=7)
    acc = np.mean(np.array(model.classes)[model.predict_proba(test_texts).argmax(axis=1)] == np.array(test_labels))
    assert acc > 0.9


def test_reason_terms_are_readable_words() -> None:
    """Dispatch reasons never show punctuation, lone characters or filler words ("一个、,晚")."""
    from minyi.triage.model import readable_term

    for junk in ("一个", "一个、", ",晚", "晚", "、", "  ", "我们"):
        assert not readable_term(junk), junk
    for word in ("噪音", "燃气泄漏", "路灯 不亮", "5G"):
        assert readable_term(word), word
