"""How consistent are the labels?  An estimate of the ceiling on dispatch precision.

    .venv/bin/python bench/label_noise.py --data ../shared/data/teddycup2020c/train/附件2_train.csv

Finds near-duplicate messages (the same char-shingle similarity that
``minyi triage duplicates`` uses) and counts the pairs whose two copies
carry different labels.  Two copies of one message should get one label,
so a disagreement is an annotator inconsistency.  If each label is wrong
with probability e, independently, a pair disagrees with probability
about 2e(1 - e); the script inverts that to estimate e, with a 95 %
Wilson interval.  No classifier can be more precise than 1 - e on the
messages it accepts, whatever it costs.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minyi.triage.dedup import find_duplicate_pairs
from minyi.triage.evaluate import DataError, read_csv
from minyi.triage.normalize import normalize_text


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def noise_rate(disagreement: float) -> float:
    """Solve d = 2e(1 - e) for e in [0, 0.5]."""
    return (1 - math.sqrt(max(0.0, 1 - 2 * min(disagreement, 0.5)))) / 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="labelled CSV (e.g. 附件2_train.csv)")
    ap.add_argument("--text-col", default="留言主题,留言详情")
    ap.add_argument("--label-col", default="一级标签")
    ap.add_argument("--threshold", type=float, default=0.6, help="near-duplicate similarity (as `minyi triage duplicates`)")
    ap.add_argument("--examples", type=int, default=5, help="disagreeing pairs to show")
    args = ap.parse_args(argv)
    try:
        texts, labels = read_csv(args.data, args.text_col.split(","), args.label_col)
    except DataError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    exact: dict[str, list[str]] = collections.defaultdict(list)
    for text, label in zip(texts, labels, strict=True):
        exact[normalize_text(text)].append(label)
    groups = [g for g in exact.values() if len(g) > 1]
    pairs = find_duplicate_pairs(list(enumerate(texts)), text_threshold=args.threshold)
    # Ids are the row numbers given to find_duplicate_pairs.
    disagree = [(cast(int, a), cast(int, b), s) for a, b, s, _ in pairs if labels[cast(int, a)] != labels[cast(int, b)]]
    d = len(disagree) / len(pairs) if pairs else 0.0
    lo, hi = wilson(len(disagree), len(pairs))
    out = {
        "data": Path(args.data).name,
        "n": len(texts),
        "exact_duplicate_groups": len(groups),
        "exact_groups_with_conflicting_labels": sum(len(set(g)) > 1 for g in groups),
        "near_duplicate_pairs": len(pairs),
        "pairs_with_different_labels": len(disagree),
        "disagreement": round(d, 4),
        "disagreement_95ci": [round(lo, 4), round(hi, 4)],
        "label_noise_estimate": round(noise_rate(d), 4),
        "label_noise_95ci": [round(noise_rate(lo), 4), round(noise_rate(hi), 4)],
        "precision_ceiling": round(1 - noise_rate(d), 4),
        "examples": [
            {"score": round(s, 2), "labels": [labels[a], labels[b]], "titles": [texts[a].split("\n")[0][:40], texts[b].split("\n")[0][:40]]}
            for a, b, s in sorted(disagree, key=lambda t: -t[2])[: args.examples]
        ],
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
