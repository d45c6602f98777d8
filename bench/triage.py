"""Benchmark for minyi.triage: accuracy, abstain coverage, speed, memory, duplicates.

    .venv/bin/python bench/triage.py --data ../shared/data/teddycup2020c/train/附件2_train.csv \
        [--dup-data ../shared/data/teddycup2020c/full/附件3.csv] [--cv 5]

Trains on a stratified split (duplicate texts kept on the training side),
evaluates on the held-out part with the threshold stored in the model
(applied to the model's certainty, as in serving), and
measures load time and peak RAM in a fresh process.  Prints one JSON object.
Django is not needed.
"""

from __future__ import annotations

import argparse
import collections
import csv
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minyi.triage.dedup import DupRecord, find_duplicate_pairs
from minyi.triage.evaluate import evaluate, read_csv
from minyi.triage.model import TriageModel, fit_model
from minyi.triage.normalize import normalize_text

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from minyi.triage.model import TriageModel
m = TriageModel.load(sys.argv[1])
m.predict_one("测试\\n测试文本")  # first call builds lookup tables
t1 = time.perf_counter()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across
# fork+exec, so it would report the benchmark process's own peak.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
has_sklearn = "sklearn" in sys.modules
print(json.dumps({"load_s": round(t1 - t0, 3), "peak_rss_mb": round(hwm / 1024, 1), "imports_sklearn": has_sklearn}))
"""


def split_keep_duplicates(texts: list[str], labels: list[str], test_size: float, seed: int) -> tuple[list[int], list[int]]:
    idx = np.arange(len(texts))
    tr, te = train_test_split(idx, test_size=test_size, stratify=labels, random_state=seed)
    seen = {normalize_text(texts[i]) for i in tr}
    # A text that also occurs in training would measure memory, not skill.
    moved = [i for i in te if normalize_text(texts[i]) in seen]
    te = [i for i in te if normalize_text(texts[i]) not in seen]
    return sorted([*map(int, tr), *map(int, moved)]), sorted(map(int, te))


def load_probe(model_path: Path) -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _PROBE, str(model_path)], capture_output=True, text=True, check=True, cwd=root)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def cross_validate(texts: list[str], labels: list[str], k: int, seed: int) -> dict[str, Any]:
    f1s, covs, precs = [], [], []
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(texts, labels):
        m = fit_model([texts[i] for i in tr], [labels[i] for i in tr])
        r = evaluate(m, [texts[i] for i in te], [labels[i] for i in te], timing=False)
        f1s.append(r["macro_f1"])
        covs.append(r["abstain"]["coverage"])
        precs.append(r["abstain"]["precision"])
        print(f"  fold: macro_f1={r['macro_f1']} coverage={covs[-1]} precision={precs[-1]}", file=sys.stderr)
    return {
        "k": k,
        "macro_f1_mean": round(float(np.mean(f1s)), 4),
        "macro_f1_std": round(float(np.std(f1s)), 4),
        "coverage_mean": round(float(np.mean(covs)), 4),
        "precision_mean": round(float(np.mean(precs)), 4),
        # The target is per deployment, not on average: show the worst fold.
        "precision_min": round(float(np.min(precs)), 4),
        "folds": [{"macro_f1": f, "coverage": c, "precision": p} for f, c, p in zip(f1s, covs, precs, strict=True)],
    }


def duplicates_bench(path: str, threshold: float) -> dict[str, Any]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Ground truth: rows whose body is identical after stripping the export's
    # surrounding whitespace (the "exact duplicates" the data README counts).
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for r in rows:
        groups[r["留言详情"].strip()].append(r["留言编号"])
    exact = {frozenset(p) for g in groups.values() for p in itertools.combinations(g, 2)}
    title_groups: dict[str, list[str]] = collections.defaultdict(list)
    for r in rows:
        title_groups[r["留言主题"].strip()].append(r["留言编号"])
    same_title = {frozenset(p) for g in title_groups.values() for p in itertools.combinations(g, 2)}
    records = [DupRecord(r["留言编号"], f"{r['留言主题']}\n{r['留言详情']}", submitter=r.get("留言用户") or None) for r in rows]
    t0 = time.perf_counter()
    pairs = find_duplicate_pairs(records, text_threshold=threshold)
    elapsed = time.perf_counter() - t0
    text_pairs = {frozenset((a, b)): s for a, b, s, reason in pairs if reason == "text"}
    related = [(a, b, s, reason) for a, b, s, reason in pairs if reason != "text"]
    found = set(text_pairs)
    bands = collections.Counter(
        "1.0" if s >= 0.999 else "0.9-1.0" if s >= 0.9 else "0.8-0.9" if s >= 0.8 else "0.7-0.8" if s >= 0.7 else "<0.7"
        for p, s in text_pairs.items()
        if p not in exact
    )
    return {
        "n": len(rows),
        "threshold": threshold,
        "seconds": round(elapsed, 2),
        "exact_pairs": len(exact),
        "predicted_pairs": len(found),
        "recall_exact": round(len(found & exact) / len(exact), 4) if exact else None,
        # Lower bound: every predicted pair that is not an exact copy counts
        # as wrong here, although most are re-submissions with small edits.
        "precision_vs_exact_lower_bound": round(len(found & exact) / len(found), 4) if found else None,
        "precision_vs_exact_or_same_title": round(len(found & (exact | same_title)) / len(found), 4) if found else None,
        "non_exact_pairs_by_score": dict(sorted(bands.items())),
        "same_submitter_related_pairs": len(related),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="labelled CSV (e.g. 附件2_train.csv)")
    ap.add_argument("--text-col", default="留言主题,留言详情")
    ap.add_argument("--label-col", default="一级标签")
    ap.add_argument("--test-size", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cv", type=int, default=0, help="also run k-fold cross-validation")
    ap.add_argument("--dup-data", help="CSV with duplicates (e.g. 附件3.csv)")
    ap.add_argument("--dup-threshold", type=float, default=0.6)
    ap.add_argument("--save-model", help="keep the trained model here")
    args = ap.parse_args(argv)

    texts, labels = read_csv(args.data, [c.strip() for c in args.text_col.split(",")], args.label_col)
    tr, te = split_keep_duplicates(texts, labels, args.test_size, args.seed)
    t0 = time.perf_counter()
    model = fit_model([texts[i] for i in tr], [labels[i] for i in tr])
    train_s = time.perf_counter() - t0
    report: dict[str, Any] = {"data": Path(args.data).name, "n_train": len(tr), "n_test": len(te)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.save_model) if args.save_model else Path(tmp) / "model.npz"
        model.save(path)
        report["model_file_mb"] = round(path.stat().st_size / 2**20, 1)
        report["load"] = load_probe(path)
        model = TriageModel.load(path)
    report["train_s"] = round(train_s, 1)
    report["oof"] = model.metadata["metrics"]
    report["abstain_on"] = model.metadata.get("abstain_on", "top_probability")
    report["heads"] = [spec["kind"] for spec, _, _ in model.heads]
    report["eval"] = evaluate(model, [texts[i] for i in te], [labels[i] for i in te])
    if args.cv:
        report["cv"] = cross_validate(texts, labels, args.cv, args.seed)
    if args.dup_data:
        report["duplicates"] = duplicates_bench(args.dup_data, args.dup_threshold)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
