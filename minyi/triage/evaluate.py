"""Evaluation, CSV input and champion/challenger training.

Evaluation always applies the threshold stored in the model.  Re-fitting a
threshold on the evaluated data would report the precision we *asked for*
rather than the one the dispatch queue will actually see.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from .model import TriageModel, fit_model, text_hash

__all__ = [
    "DataError",
    "TrainResult",
    "evaluate",
    "read_csv",
    "train",
]


class DataError(ValueError):
    """Bad input file or column; the CLI turns it into exit status 2."""


def read_csv(path: str | Path, text_cols: Sequence[str], label_col: str | None = None) -> tuple[list[str], list[str]]:
    """Read UTF-8 (with or without BOM) CSV → (texts, labels).

    Several text columns are joined with a newline, so the first one acts
    as the title (see ``features.prepare``).  Rows without text or label are
    skipped; a file with no usable row is an error.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"文件不存在 / file not found: {p}")
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                raise DataError(f"文件为空 / empty file: {p}")
            reader.fieldnames = header
            wanted = list(text_cols) + ([label_col] if label_col else [])
            missing = [c for c in wanted if c not in header]
            if missing:
                raise DataError(
                    f"缺少列 / missing column(s) {', '.join(missing)} in {p}; 已有列 / available: {', '.join(header)}"
                )
            texts: list[str] = []
            labels: list[str] = []
            for row in reader:
                parts = [(row.get(c) or "").strip() for c in text_cols]
                text = "\n".join(parts)
                label = (row.get(label_col) or "").strip() if label_col else ""
                if not text.strip() or (label_col and not label):
                    continue
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise DataError(f"不是 UTF-8 编码 / not UTF-8: {p} ({exc.reason})") from exc
    except csv.Error as exc:
        raise DataError(f"CSV 格式错误 / malformed CSV: {p}: {exc}") from exc
    if not texts:
        raise DataError(f"没有可用的数据行 / no usable rows: {p}")
    return texts, labels


def _percentile_ms(samples: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000.0, q)), 3) if samples else 0.0


def evaluate(
    model: TriageModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    timing: bool = True,
    latency_samples: int = 200,
    batch_size: int = 1000,
) -> dict[str, Any]:
    """Metrics in the CLI's ``eval --json`` shape."""
    if len(texts) != len(labels) or not texts:
        raise DataError("需要非空且等长的文本和标签 / need equally long, non-empty texts and labels")
    from threadpoolctl import threadpool_limits

    # One thread, so that throughput is per core as the target is stated.
    with threadpool_limits(1):
        t0 = time.perf_counter()
        parts = [model.predict_proba_certainty(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        elapsed = time.perf_counter() - t0
        probs = np.vstack([p for p, _ in parts])
        certainty = np.concatenate([c for _, c in parts])
        lat: list[float] = []
        if timing:
            for text in texts[:latency_samples]:
                t1 = time.perf_counter()
                model.predict_one(text)
                lat.append(time.perf_counter() - t1)
    classes = np.array(model.classes)
    y_true = np.array(labels)
    y_pred = classes[probs.argmax(axis=1)]
    # The stored threshold applies to the certainty (the top probability
    # for models without a certainty model), exactly as in ``predict``.
    accept = certainty >= model.threshold
    all_labels = sorted(set(model.classes) | set(labels))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=all_labels, zero_division=0)
    present = [i for i, lab in enumerate(all_labels) if s[i] > 0]
    per_class = {
        all_labels[i]: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i in present
    }
    return {
        "n": len(texts),
        "accuracy": round(float((y_pred == y_true).mean()), 4),
        # Macro over classes present in the evaluated data: a class the file
        # does not contain should not count as a zero.
        "macro_f1": round(float(np.mean([f[i] for i in present])), 4),
        "per_class": per_class,
        "abstain": {
            "target_precision": model.metadata.get("target_precision"),
            "threshold": round(model.threshold, 6),
            "coverage": round(float(accept.mean()), 4),
            "precision": round(float((y_pred[accept] == y_true[accept]).mean()), 4) if accept.any() else None,
        },
        "throughput_per_s": round(len(texts) / elapsed, 1) if timing and elapsed > 0 else None,
        "latency_ms": {"p50": _percentile_ms(lat, 50), "p99": _percentile_ms(lat, 99)} if timing else None,
    }


@dataclass
class TrainResult:
    model: TriageModel
    promoted: bool
    challenger_macro_f1: float
    champion_macro_f1: float | None
    validation: dict[str, Any] = field(default_factory=dict)


def _split(texts: list[str], labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Stable hash split: a text lands on the same side in every run.

    That is what makes champion/challenger fair: a champion trained by this
    function never saw any row that a later run validates on, and exact
    duplicates never straddle the two sides.  ``seed`` picks another split.
    """
    from .normalize import normalize_text

    cut = round(fraction * 10_000)
    va: list[int] = []
    tr: list[int] = []
    for i, t in enumerate(texts):
        h = hashlib.sha256(f"{seed}\x1f{normalize_text(t)}".encode()).digest()
        (va if int.from_bytes(h[:4], "big") % 10_000 < cut else tr).append(i)
    if not va or len({labels[i] for i in tr}) < 2:
        # Too little data for a hash split to work; fall back to a random one.
        idx = np.arange(len(texts))
        a, b = train_test_split(idx, test_size=fraction, random_state=seed)
        return sorted(int(i) for i in a), sorted(int(i) for i in b)
    return tr, va


def _compare(
    champion: TriageModel,
    challenger: TriageModel,
    val_texts: list[str],
    val_labels: list[str],
    challenger_f1: float,
    min_compare: int,
) -> tuple[float, float | None, str]:
    """(challenger F1, champion F1, basis) on terms fair to both models."""
    if champion.train_hashes is None:
        # Written before models kept their training hashes: trained here
        # without a refit, so it never saw these validation rows.
        return challenger_f1, float(evaluate(champion, val_texts, val_labels, timing=False)["macro_f1"]), "same validation rows"
    seen = np.isin(np.array([text_hash(t) for t in val_texts], dtype=np.uint64), champion.train_hashes)
    unseen = np.flatnonzero(~seen)
    if unseen.size == len(val_texts) or unseen.size >= min_compare:
        texts = [val_texts[i] for i in unseen]
        labels = [val_labels[i] for i in unseen]
        ch = float(evaluate(challenger, texts, labels, timing=False)["macro_f1"])
        cp = float(evaluate(champion, texts, labels, timing=False)["macro_f1"])
        return ch, cp, f"{unseen.size} validation rows the champion never saw"
    recorded = champion.metadata.get("metrics", {}).get("validation", {}).get("macro_f1")
    if recorded is not None:
        return challenger_f1, float(recorded), "its own validation score before its refit"
    # No fair basis is left: score it where it trained, which flatters it.
    cp = float(evaluate(champion, val_texts, val_labels, timing=False)["macro_f1"])
    return challenger_f1, cp, "validation rows it trained on (favours the champion)"


def train(
    texts: Iterable[str],
    labels: Iterable[str],
    *,
    extra: Iterable[tuple[str, str]] = (),
    out_path: str | Path | None = None,
    champion_path: str | Path | None = None,
    val_fraction: float = 0.2,
    target_precision: float = 0.98,
    refit: bool = True,
    seed: int = 0,
    fit_kwargs: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
    min_compare: int = 100,
) -> TrainResult:
    """Train a challenger and promote it only if it is not worse.

    ``extra`` takes further ``(text, label)`` examples, e.g. corrections
    from manual dispatch, 转派 and accepted 退单 read from the database.
    Both models are scored (macro-F1) on the same held-out split; the
    challenger is written to ``out_path`` (default: ``champion_path``) only
    when its score is >= the champion's.  The validation rows are chosen by
    a stable hash of the text, so the challenger has not trained on them.

    ``refit`` (the default) retrains the promoted model on all rows, so the
    served model learns from every example: on 附件2 a quarter more rows
    was worth about +0.008 macro-F1 and +0.03 coverage.  Such a champion has
    seen the validation rows, and scoring it there would flatter it.  A
    model therefore keeps hashes of its training texts, and the comparison
    uses the validation rows that the champion never saw when there are at
    least ``min_compare`` of them (new data).  Otherwise (the same data
    again, plus a few corrections) the champion's score is the one it
    reached on its own validation rows before its refit, recorded in its
    metadata.  The basis is printed.
    """
    all_texts = list(texts)
    all_labels = list(labels)
    for t, lab in extra:
        all_texts.append(t)
        all_labels.append(lab)
    if len(all_texts) != len(all_labels):
        raise DataError("texts and labels differ in length")
    if len(set(all_labels)) < 2:
        raise DataError("训练至少需要两个类别 / training needs at least two labels")
    kwargs = dict(fit_kwargs or {})
    kwargs.setdefault("target_precision", target_precision)
    tr, va = _split(all_texts, all_labels, val_fraction, seed)
    val_texts = [all_texts[i] for i in va]
    val_labels = [all_labels[i] for i in va]
    challenger = fit_model([all_texts[i] for i in tr], [all_labels[i] for i in tr], seed=seed, **kwargs)
    ch_metrics = evaluate(challenger, val_texts, val_labels, timing=False)
    challenger_f1 = float(ch_metrics["macro_f1"])
    champion_f1: float | None = None
    basis = "none"
    if champion_path is not None and Path(champion_path).is_file():
        champion = TriageModel.load(champion_path)
        challenger_f1, champion_f1, basis = _compare(champion, challenger, val_texts, val_labels, challenger_f1, min_compare)
    echo(f"challenger macro-F1 {challenger_f1:.4f} (validation n={len(va)})")
    echo(f"champion   macro-F1 {champion_f1:.4f} ({basis})" if champion_f1 is not None else "champion   macro-F1 - (none)")
    promoted = champion_f1 is None or challenger_f1 >= champion_f1
    final = challenger
    if promoted and refit:
        final = fit_model(all_texts, all_labels, seed=seed, **kwargs)
    validation = {
        "n": len(va),
        "macro_f1": challenger_f1,
        "accuracy": ch_metrics["accuracy"],
        "coverage": ch_metrics["abstain"]["coverage"],
        "precision_at_threshold": ch_metrics["abstain"]["precision"],
        "champion_macro_f1": champion_f1,
        "comparison": basis,
        "refit_on_all": bool(promoted and refit),
    }
    final.metadata.setdefault("metrics", {})["validation"] = validation
    target = out_path if out_path is not None else champion_path
    if promoted and target is not None:
        final.save(target)
        echo(f"promoted: model written to {target}")
    elif not promoted:
        echo("not promoted: challenger is worse than the champion; champion kept")
    return TrainResult(final, promoted, challenger_f1, champion_f1, validation)
