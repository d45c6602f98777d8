"""Which mistakes does automatic dispatch make?  A sample of confident errors to review by hand.

    .venv/bin/python bench/confident_errors.py --data ../shared/data/teddycup2020c/train/附件2_train.csv \
        [--folds 5] [--sample 30] [--seed 7]

K-fold cross-validation of the shipped pipeline (``fit_model`` with its defaults):
each fold's model chooses its own threshold on its own training part and is
applied to the held-out fold, as ``minyi triage eval`` does.  The appeals it
would dispatch automatically (certainty >= the stored threshold) but whose
label differs from the prediction are the confident errors.  The script prints
one JSON summary line (counts, precision and coverage pooled over the folds,
the most frequent gold → predicted pairs), then a random sample of those
errors for a reviewer to judge: is the gold label right, is the prediction
right, or is it a boundary case where either category is defensible?
It prints the real texts to the terminal only; keep them out of the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minyi.triage.evaluate import DataError, read_csv
from minyi.triage.model import fit_model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--text-col", default="留言主题,留言详情")
    ap.add_argument("--label-col", default="一级标签")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.folds < 2 or args.sample < 0:
        print("错误 / error: --folds must be >= 2 and --sample >= 0", file=sys.stderr)
        return 2
    try:
        texts, labels = read_csv(args.data, [c.strip() for c in args.text_col.split(",")], args.label_col)
    except DataError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    accepted = np.zeros(len(texts), dtype=bool)
    predicted = [""] * len(texts)
    certainty = np.zeros(len(texts))
    for n, (tr, te) in enumerate(StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(texts, labels), 1):
        model = fit_model([texts[i] for i in tr], [labels[i] for i in tr])
        probs, cert = model.predict_proba_certainty([texts[i] for i in te])
        for row, i in enumerate(te):
            predicted[i] = model.classes[int(probs[row].argmax())]
        certainty[te] = cert
        accepted[te] = cert >= model.threshold
        print(f"  fold {n}/{args.folds} done", file=sys.stderr)
    wrong = np.array([p != g for p, g in zip(predicted, labels, strict=True)])
    errors = np.flatnonzero(accepted & wrong)
    pairs = collections.Counter(f"{labels[i]} → {predicted[i]}" for i in errors)
    summary = {
        "n": len(texts),
        "accepted": int(accepted.sum()),
        "coverage": round(float(accepted.mean()), 4),
        "precision": round(float(1 - wrong[accepted].mean()), 4) if accepted.any() else None,
        "confident_errors": len(errors),
        "gold_to_predicted": dict(pairs.most_common(10)),
    }
    print(json.dumps(summary, ensure_ascii=False))
    rng = np.random.default_rng(args.seed)
    for i in sorted(rng.choice(errors, min(args.sample, len(errors)), replace=False)):
        text = texts[i].replace("\n", " | ")
        print(f"[{i}] gold={labels[i]} predicted={predicted[i]} certainty={certainty[i]:.3f}\n    {text[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
