"""The learned re-ranker over the index's best candidates (gradient boosting, scikit-learn).

It sees, for one query and one candidate reply: the four view z-scores and ranks, the fused
score, and cheap features of the pair that the bag-of-grams views cannot express. Replies
often quote the appeal's title (「反映“…”的问题」) and name the masked places (A市A2区, K8县)
of the appeal, so: how much of the title the reply contains, the best match of a quoted span
to the title, the places and numbers both mention, and the places the reply names that the
appeal does not.

The query is ``title + "\\n" + body``; the first line is taken as the title.

The model is fitted on the district's own archive at index time (``GbmReranker.fit``): each
past appeal is a query and its own reply the right answer, so no outside data ships with
minyi. Below ``MIN_QUERIES`` appeals there is too little to learn from and the index keeps the
fused order.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from minyi.assistant.dense import Vector
from minyi.assistant.replyindex import VIEWS, BoolArray, _hash
from minyi.assistant.text import normalize

if TYPE_CHECKING:
    from minyi.assistant.replyindex import Candidate, ReplyIndex

FloatArray = npt.NDArray[np.float64]
MIN_QUERIES = 200
REPLY_CHARS = 400  # features read the first 400 characters of a reply (where it restates the appeal)
_WS = re.compile(r"\s+")
_KEEP = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_CODE = re.compile(r"[A-Z]\d{1,3}(?:[市区县镇乡街村路栋]|小区)?")
_NUM = re.compile(r"\d{2,}")
_QUOTED = re.compile(r"[“\"「《]([^”\"」》]{4,60})[”\"」》]")


def grams3(text: str) -> set[str]:
    out: set[str] = set()
    for run in _KEEP.split(text):
        if len(run) < 3:
            if run:
                out.add(run)
            continue
        out.update(run[i : i + 3] for i in range(len(run) - 2))
    return out


def gram_set(text: str) -> set[str]:
    """Char 3-grams of ``text`` as a set (a shorter run is kept whole), normalised like the index's grams."""
    out: set[str] = set()
    for run in _KEEP.split(normalize(text)):
        n = len(run)
        if n < 3:
            if run:
                out.add(run)
            continue
        out.update([run[i : i + 3] for i in range(n - 2)])
    return out


def _contain(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a) if a else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _lcs_run(a: str, b: str) -> int:
    """Length of the longest substring of ``a`` (a short title) that occurs in ``b``."""
    best = 0
    n = len(a)
    for i in range(n):
        j = i + best + 1
        while j <= n and a[i:j] in b:
            best = j - i
            j += 1
    return best


class QueryParts:
    def __init__(self, query: str, index: ReplyIndex | None = None) -> None:
        head, _sep, _body = query.strip().partition("\n")
        self.index = index
        self.title = _KEEP.sub("", head)[:60]
        self.text = _WS.sub("", query)
        self._totals: dict[int, float] = {}
        self.title_w: dict[str, float] = {}
        self.query_w: dict[str, float] = {}
        self.title_grams = gram_set(self.title)
        self.grams = gram_set(self.text)
        if index is not None:
            self.title_w = self._weights(self.title_grams)
            self.query_w = self._weights(self.grams)
        self.codes = set(_CODE.findall(query))
        self.nums = set(_NUM.findall(query))

    def _weights(self, grams: set[str]) -> dict[str, float]:
        assert self.index is not None
        view = self.index.char
        out = {}
        for g in grams:
            j = view.hasher.memo.get(g)
            if j is None:
                j = view.hasher.memo[g] = _hash(g)
            out[g] = float(np.log((1.0 + view.n) / (1.0 + view.df[j])) + 1.0)
        return out

    def weighted(self, which: dict[str, float], reply_grams: set[str]) -> float:
        total = self._totals.get(id(which))
        if total is None:
            total = self._totals[id(which)] = sum(which.values())
        return sum(map(which.__getitem__, which.keys() & reply_grams)) / total if total else 0.0


FEATURES = (
    "fused", "z_char", "z_word", "z_bm25w", "z_prec", "z_dense", "r_char", "r_word", "r_bm25w", "r_prec", "r_dense",
    "title_in_reply", "title_run", "quote_title", "codes_shared", "codes_extra", "codes_missing",
    "nums_shared", "reply_in_query", "query_in_reply", "log_reply_len", "log_query_len", "pos",
    "d_fused", "d_char", "d_word", "d_prec", "d_dense", "cos_dense", "dprec", "d_dprec", "w_title", "w_query",
)  # fmt: skip


def pair_features(q: QueryParts, cands: Sequence[Candidate]) -> FloatArray:
    rows: list[list[float]] = []
    top_f = max((c.fused for c in cands), default=0.0)
    top_c = max((c.views["char"] for c in cands), default=0.0)
    top_w = max((c.views["word"] for c in cands), default=0.0)
    top_p = max((c.views["prec"] for c in cands), default=0.0)
    top_d = max((c.cos for c in cands), default=0.0)
    top_dp = max((c.dprec for c in cands), default=0.0)
    for pos, c in enumerate(cands):
        reply = _WS.sub("", c.text)[:REPLY_CHARS]
        rg = r23 = gram_set(reply)
        rcodes = set(_CODE.findall(c.text))
        quotes = [grams3(_KEEP.sub("", m)) for m in _QUOTED.findall(c.text)]
        rows.append(
            [
                c.fused,
                *(c.views[n] for n in VIEWS),
                *(float(c.ranks.get(n, pos)) for n in VIEWS),
                _contain(q.title_grams, rg),
                _lcs_run(q.title, reply) / max(len(q.title), 1),
                max((_jaccard(q.title_grams, g) for g in quotes), default=0.0),
                float(len(q.codes & rcodes)),
                float(len(rcodes - q.codes)),
                float(len(q.codes - rcodes)),
                float(len(q.nums & set(_NUM.findall(c.text)))),
                _contain(rg, q.grams),
                _contain(q.grams, rg),
                math.log1p(len(c.text)),
                math.log1p(len(q.text)),
                float(pos),
                c.fused - top_f,
                c.views["char"] - top_c,
                c.views["word"] - top_w,
                c.views["prec"] - top_p,
                c.cos - top_d,
                c.cos,
                c.dprec,
                c.dprec - top_dp,
                q.weighted(q.title_w, r23) if q.index is not None else 0.0,
                q.weighted(q.query_w, r23) if q.index is not None else 0.0,
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


@functools.cache
def _threads() -> Any:
    """The process's thread pools, found once (``threadpool_limits`` scans the libraries on every call)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class GbmReranker:
    """Gradient boosting on the pair features; scores are P(right reply)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def order(self, index: ReplyIndex, query: str, cands: list[Candidate]) -> FloatArray:
        X = pair_features(QueryParts(query, index), cands)
        # One thread: on 40 rows, starting the OpenMP pool costs more than the trees (17 ms against 4.6).
        with _threads().limit(limits=1):
            p: FloatArray = self.model.predict_proba(X)[:, 1]
        return p

    @staticmethod
    def training_rows(
        index: ReplyIndex,
        queries: Sequence[str],
        own_rows: Sequence[int],
        hidden: Sequence[BoolArray] | None = None,
        vectors: Sequence[Vector | None] | None = None,
    ) -> tuple[FloatArray, FloatArray, list[int], list[int]]:
        """Candidate features, labels (1 = the query's own reply or an identical text), each row's query and index row.

        A query's own appeal is never its precedent (``hidden[i]`` when given, else just its own row).
        """
        xs: list[FloatArray] = []
        ys: list[float] = []
        qid: list[int] = []
        rows: list[int] = []
        mask = np.zeros(len(index), dtype=bool)
        for i, (query, own) in enumerate(zip(queries, own_rows, strict=True)):
            if hidden is None:
                mask[own] = True
            cands = index.candidates(query, hidden=mask if hidden is None else hidden[i], query_vector=vectors[i] if vectors else None)
            mask[own] = False
            xs.append(pair_features(QueryParts(query, index), cands))
            g = index.groups[own]
            ys.extend(float(index.groups[c.row] == g) for c in cands)
            qid.extend([i] * len(cands))
            rows.extend(c.row for c in cands)
        X = np.vstack(xs) if xs else np.zeros((0, len(FEATURES)))
        return X, np.asarray(ys, dtype=np.float64), qid, rows

    @classmethod
    def from_rows(cls, X: FloatArray, y: FloatArray, seed: int = 0) -> GbmReranker | None:
        # Histogram gradient boosting, 600 small steps: on 附件4 it beat classic boosting (150 trees)
        # by 0.7 points at recall@5 (docs/benchmarks.md). Predicted on one thread (``order``).
        from sklearn.ensemble import HistGradientBoostingClassifier

        if len(set(y.tolist())) < 2:
            return None
        model = HistGradientBoostingClassifier(
            max_iter=600, learning_rate=0.03, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0, random_state=seed
        )
        model.fit(X, y)
        return cls(model)

    @classmethod
    def fit(
        cls, index: ReplyIndex, queries: Sequence[str], own_rows: Sequence[int], seed: int = 0, vectors: Sequence[Vector | None] | None = None
    ) -> GbmReranker | None:
        if len(queries) < MIN_QUERIES:
            return None
        X, y, _q, _r = cls.training_rows(index, queries, own_rows, vectors=vectors)
        return cls.from_rows(X, y, seed)
