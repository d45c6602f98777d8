"""The past-replies index: fused lexical views, a learned re-ranker, and append-only storage.

Pure code (numpy, scipy, scikit-learn, jieba; no Django), so the benchmark and the tests use
exactly what the assistant serves. Three views score every indexed reply against a query
(the appeal's title, a line break, its body):

* ``char``: TF-IDF cosine over character 2- and 3-grams (sublinear tf);
* ``word``: TF-IDF cosine over jieba words;
* ``bm25w``: Okapi BM25 over the jieba words, with the query's terms weighted by their
  (sublinear) frequency rather than counted once;
* ``prec`` (precedent feedback): the archived *appeals* most like the query (char 2–3-gram
  cosine over their title and body) lend their own replies as a second query: a reply scores
  by how much it resembles the replies given to similar appeals. It finds the unit's usual
  wording (the signature, the policy text) where the query's own words are not in the reply.
  A reply never scores from its own appeal, so the view learns nothing from a pair it is
  tested on (the benchmark hides the test fold's appeals; fitting hides each query's own);
* ``dense``: the cosine of multilingual-e5-small vectors (``dense.py``), when the appeal and the
  reply have one. They are computed off the request path (0.3 s a text on the CPU), so a row
  or a query without one simply scores 0 here and the re-ranker knows it (``cos_dense``).

A query is scored on its ``MAX_QUERY_TERMS`` heaviest terms per view. Each view's scores are
turned into z-scores over the whole archive and summed with fixed weights. The best ``POOL``
distinct replies then go to the re-ranker (``rerank.py``), when one has been fitted, which
orders them on the view scores and a few cheap features of the pair.

**Incremental.** Tokens are hashed into a fixed space (``2**20`` buckets), so the vocabulary
never changes. Rows are appended to a small open block; a full block is sealed as a column-
compressed matrix, and sealed blocks of equal size are merged (``MERGE`` into one) so a large
archive is a few large blocks. No row is ever tokenised or weighted again. Document frequencies
are a running count and the IDF is read from it at query time; a row's length normalisation uses
the figures known when it was added (they settle quickly as the archive grows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from minyi.assistant.dense import DIM
from minyi.assistant.hashview import MAX_QUERY_TERMS, HashedView, _hash, char_grams
from minyi.assistant.text import NO_SYNONYMS, SynonymMap, words

__all__ = ["MAX_QUERY_TERMS", "Candidate", "ReplyIndex", "_hash", "char_grams", "fit_reranker"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
POOL = 40
TITLE_BOOST = 1  # the query's first line (the title) counted this many times
PRECEDENTS = 10  # archived appeals whose replies feed the precedent view
PRECEDENT_TAU = 0.05  # softmax temperature over their cosine similarity to the query
PRECEDENT_TERMS = 128  # the precedent query keeps its heaviest terms
SHORTLIST = 400  # rows the dense view re-sorts after the lexical fusion
DENSE_SAMPLE = 4096  # archive rows that give the dense view's mean and spread
VIEWS = ("char", "word", "bm25w", "prec", "dense")
# Fusion weights, fixed by hand (docs/assistant.md); BM25 over char grams was dropped: it cost as
# much memory as the char view and did not move recall (docs/benchmarks.md).
WEIGHTS = {"char": 1.0, "word": 0.6, "bm25w": 0.3, "prec": 0.6, "dense": 1.0}


class Reranker(Protocol):
    def order(self, index: ReplyIndex, query: str, cands: list[Candidate]) -> FloatArray: ...


@dataclass
class Candidate:
    row: int
    key: int
    text: str
    fused: float
    views: dict[str, float]
    ranks: dict[str, int] = field(default_factory=dict)
    cos: float = 0.0  # raw dense cosine; 0 when the query or the reply has no vector
    dprec: float = 0.0  # dense cosine with the precedents' replies, weighted (0 without vectors)


@dataclass
class Precedents:
    top: npt.NDArray[np.int64]  # rows whose appeals are most like the query
    w: FloatArray  # their softmax weights
    cols: npt.NDArray[np.int64]  # the precedent query: char columns …
    vals: FloatArray  # … and weights (idf² applied)
    idf2: FloatArray
    self_sims: FloatArray  # each precedent's own reply against the precedent query, per unit weight


@dataclass
class Scored:
    views: dict[str, FloatArray]  # char, word, bm25w, prec over every row
    pq: Precedents | None


def _z(s: FloatArray) -> FloatArray:
    sd = float(s.std())
    out: FloatArray = (s - float(s.mean())) / sd if sd > 0 else np.zeros_like(s)
    return out


class ReplyIndex:
    """Past replies: ``add()`` one at a time, ``search()`` with fused views and the re-ranker."""

    def __init__(self, synonyms: SynonymMap = NO_SYNONYMS, weights: dict[str, float] | None = None, title_boost: int = TITLE_BOOST) -> None:
        self.synonyms = synonyms
        self.title_boost = title_boost
        self.weights = dict(weights or WEIGHTS)
        self.char = HashedView(lambda t: char_grams(synonyms.fold(t)), bm25=False)
        self.word = HashedView(lambda t: words(t, synonyms))
        self.appeal = HashedView(lambda t: char_grams(synonyms.fold(t)), bm25=False)  # each reply's own appeal
        self.keys: list[int] = []
        self.texts: list[str] = []
        self.groups: list[int] = []  # rows with the same text share a group (its first row)
        self._first: dict[str, int] = {}
        self.reranker: Reranker | None = None
        self._vectors = np.zeros((0, DIM), dtype=np.float32)  # row → dense vector (zeros: none yet)
        self.n_vectors = 0

    def __len__(self) -> int:
        return len(self.keys)

    def char_idf(self, gram: str) -> float:
        """IDF of a char 2/3-gram over the indexed replies (unseen grams get the highest)."""
        view = self.char
        j = view.hasher.memo.get(gram)
        if j is None:
            j = view.hasher.memo[gram] = _hash(gram)
        return float(math.log((1.0 + view.n) / (1.0 + view.df[j])) + 1.0)

    def add(self, key: int, text: str, appeal: str = "", vector: npt.NDArray[np.float32] | None = None) -> int:
        """Append a reply, with the appeal it answered (title, a line break, body) and its vector when known."""
        row = self.add_counts(key, text, self.char.counts(text), self.word.counts(text), self.appeal.counts(appeal) if appeal else {})
        if vector is not None:
            self.set_vector(row, vector)
        return row

    def set_vector(self, row: int, vector: npt.NDArray[np.float32]) -> None:
        """Give a row its dense vector (computed later, in the background, than the row was added)."""
        if row >= len(self._vectors):
            grown = np.zeros((max(2 * len(self._vectors), row + 1, 1024), DIM), dtype=np.float32)
            grown[: len(self._vectors)] = self._vectors
            self._vectors = grown
        if not self._vectors[row].any():
            self.n_vectors += 1
        self._vectors[row] = vector

    def has_vector(self, row: int) -> bool:
        return row < len(self._vectors) and bool(self._vectors[row].any())

    def dense_scores(self, query_vector: npt.NDArray[np.float32] | None) -> FloatArray:
        """The dense cosine of every row (the whole archive: 1.5 KB a row; search reads only a shortlist)."""
        n = len(self)
        if query_vector is None or not self.n_vectors:
            return np.zeros(n)
        m = self._vectors[: min(n, len(self._vectors))]
        out = np.zeros(n)
        out[: len(m)] = m @ np.asarray(query_vector, dtype=np.float32)
        return out

    def add_counts(self, key: int, text: str, char_counts: dict[int, int], word_counts: dict[int, int], appeal_counts: dict[int, int] | None = None) -> int:
        """Append a reply whose hashed token counts are already known (bulk loads, the benchmark)."""
        row = len(self.keys)
        self.char.add(char_counts)
        self.word.add(word_counts)
        self.appeal.add(appeal_counts or {})
        self.keys.append(key)
        self.texts.append(text)
        digest = " ".join(text.split())
        self.groups.append(self._first.setdefault(digest, row))
        return row

    def add_many(self, items: Iterable[tuple[int, str]]) -> None:
        for key, text in items:
            self.add(key, text)

    def view_scores(self, query: str, hidden: BoolArray | None = None) -> dict[str, FloatArray]:
        """The lexical and precedent views' scores of every row; ``hidden`` rows' appeals are not precedents."""
        return self.score(query, hidden).views

    def score(self, query: str, hidden: BoolArray | None = None) -> Scored:
        head, _sep, body = query.strip().partition("\n")
        if body and self.title_boost > 1:
            query = "\n".join([head] * self.title_boost + [body])
        cc, _none = self.char.scores(self.char.counts(query))
        wc, wb = self.word.scores(self.word.counts(query))
        pq = self._precedent_query(query, hidden)
        return Scored({"char": cc, "word": wc, "bm25w": wb, "prec": self._precedent_scores(pq)}, pq)

    def precedents(self, query: str, hidden: BoolArray | None = None) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """The rows whose appeals are most like ``query``, with softmax weights over their cosine."""
        if not self.appeal.n:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        sims, _none = self.appeal.scores(self.appeal.counts(query))
        if hidden is not None:
            sims = np.where(hidden, 0.0, sims)
        k = min(PRECEDENTS, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[sims[top] > 0]
        if not len(top):
            return top.astype(np.int64), np.zeros(0)
        s = sims[top]
        w = np.exp((s - s.max()) / PRECEDENT_TAU)
        return top.astype(np.int64), w / w.sum()

    def precedent_scores(self, query: str, hidden: BoolArray | None = None) -> FloatArray:
        """Every reply's cosine with the replies of the precedents, weighted; never from its own appeal."""
        return self._precedent_scores(self._precedent_query(query, hidden))

    def _precedent_scores(self, pq: Precedents | None) -> FloatArray:
        if pq is None:
            return np.zeros(len(self))
        out = self.char.weighted(pq.cols, pq.vals)
        out[pq.top] -= pq.w * pq.self_sims
        return out

    def _precedent_query(self, query: str, hidden: BoolArray | None) -> Precedents | None:
        """The precedents and the query their replies make (char view, heaviest ``PRECEDENT_TERMS`` terms)."""
        top, w = self.precedents(query, hidden)
        if not len(top):
            return None
        view = self.char
        parts = []
        for j in top.tolist():
            counts = view.counts(self.texts[j])
            cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
            # the row as stored (sublinear tf over its norm); the idf is applied to the query side
            tf = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) / view.norms[j]
            parts.append((cols, tf))
        allc = np.concatenate([c for c, _t in parts])
        uniq, inv = np.unique(allc, return_inverse=True)
        acc = np.bincount(inv, weights=np.concatenate([t * wj for (_c, t), wj in zip(parts, w.tolist(), strict=True)]), minlength=len(uniq))
        idf2 = view.idf(uniq) ** 2
        vals = acc * idf2
        if len(uniq) > PRECEDENT_TERMS:
            keep = np.sort(np.argpartition(-vals, PRECEDENT_TERMS - 1)[:PRECEDENT_TERMS])
            uniq, vals, idf2 = uniq[keep], vals[keep], idf2[keep]
        # each precedent's similarity to itself over the kept terms: what it would add to its own reply
        self_sims = np.asarray([float((np.where(np.isin(c, uniq), t, 0.0) ** 2 * view.idf(c) ** 2).sum()) for c, t in parts])
        return Precedents(top, w, uniq, vals, idf2, self_sims)

    def dense_stats(self, query_vector: npt.NDArray[np.float32]) -> tuple[float, float]:
        """Mean and spread of the dense cosine over a fixed sample of the archive (for z-scores)."""
        n = min(len(self), len(self._vectors))
        sample = self._vectors[: n : max(1, n // DENSE_SAMPLE)] @ np.asarray(query_vector, dtype=np.float32)
        sample = sample[sample != 0]
        if len(sample) < 2:
            return 0.0, 1.0
        return float(sample.mean()), float(sample.std()) or 1.0

    def dense_precedent(self, pq: Precedents | None, groups: Sequence[int | None], vectors: npt.NDArray[np.float32]) -> FloatArray:
        """Each given reply's dense cosine with the precedents' replies, weighted; never with its own group."""
        out = np.zeros(len(groups))
        if pq is None or not self.n_vectors:
            return out
        nb = [(j, wj) for j, wj in zip(pq.top.tolist(), pq.w.tolist(), strict=True) if self.has_vector(j)]
        if not nb:
            return out
        sims = vectors @ self._vectors[[j for j, _w in nb]].T
        same = np.asarray([[self.groups[j] == g for j, _w in nb] for g in groups])
        result: FloatArray = np.where(same, 0.0, sims).astype(np.float64) @ np.asarray([wj for _j, wj in nb])
        return result

    def candidates(
        self,
        query: str,
        pool: int = POOL,
        hidden: BoolArray | None = None,
        query_vector: npt.NDArray[np.float32] | None = None,
        scored: Scored | None = None,
    ) -> list[Candidate]:
        """The best ``pool`` distinct texts (one row per group of identical replies).

        The lexical and precedent views are fused over the whole archive; the dense view re-sorts
        the best ``SHORTLIST`` of them (reading 400 × 384 floats, not the whole archive's).
        """
        if not len(self):
            return []
        s = scored if scored is not None else self.score(query, hidden)
        zs = {name: _z(v) for name, v in s.views.items()}
        lex = sum((w * zs[name] for name, w in self.weights.items() if w and name in zs), np.zeros(len(self)))
        take = min(len(lex), SHORTLIST)
        idx = np.argpartition(-lex, take - 1)[:take]
        fused = lex[idx].copy()
        cos, zd = np.zeros(take), np.zeros(take)
        if query_vector is not None and self.n_vectors:
            vecs = self._vectors[np.minimum(idx, len(self._vectors) - 1)] * (idx < len(self._vectors))[:, None]
            cos = (vecs @ np.asarray(query_vector, dtype=np.float32)).astype(np.float64)
            mean, sd = self.dense_stats(query_vector)
            zd = np.where(cos != 0, (cos - mean) / sd, 0.0)
            fused += self.weights.get("dense", 0.0) * zd
        seen: set[int] = set()
        out: list[Candidate] = []
        for k in np.argsort(-fused, kind="stable").tolist():
            i = int(idx[k])
            g = self.groups[i]
            if g in seen:
                continue
            seen.add(g)
            views = {n: float(z[i]) for n, z in zs.items()}
            views["dense"] = float(zd[k])
            out.append(Candidate(i, self.keys[i], self.texts[i], float(fused[k]), views, cos=float(cos[k])))
            if len(out) >= pool:
                break
        if query_vector is not None and self.n_vectors and out:
            rows = [c.row for c in out]
            dp = self.dense_precedent(s.pq, [self.groups[r] for r in rows], self._vectors[[min(r, len(self._vectors) - 1) for r in rows]])
            for c, v in zip(out, dp.tolist(), strict=True):
                c.dprec = v if self.has_vector(c.row) else 0.0
        _rank(out)
        return out

    def fit_of(
        self,
        query: str,
        reply: str,
        hidden: BoolArray | None = None,
        query_vector: npt.NDArray[np.float32] | None = None,
        reply_vector: npt.NDArray[np.float32] | None = None,
    ) -> float | None:
        """P(``reply`` is this appeal's own answer) among the archive's best replies (``replyfit.py``)."""
        from minyi.assistant.replyfit import fit_of

        return fit_of(self, query, reply, hidden, query_vector, reply_vector)

    def search(
        self, query: str, k: int = 5, exclude_keys: set[int] | None = None, query_vector: npt.NDArray[np.float32] | None = None
    ) -> list[tuple[int, float]]:
        """``(key, score)`` of the best ``k`` distinct replies; re-ranked when a re-ranker is fitted."""
        cands = [c for c in self.candidates(query, query_vector=query_vector) if not exclude_keys or c.key not in exclude_keys]
        if not cands:
            return []
        order = self.reranker.order(self, query, cands) if self.reranker is not None else np.asarray([c.fused for c in cands])
        best = np.argsort(-order, kind="stable")[:k]
        return [(cands[int(i)].key, float(order[int(i)])) for i in best]


def _rank(cands: list[Candidate]) -> None:
    for name in VIEWS:
        for r, c in enumerate(sorted(cands, key=lambda c: -c.views[name])):
            c.ranks[name] = r


def fit_reranker(index: ReplyIndex, queries: Sequence[str], own_rows: Sequence[int], **kw: Any) -> Reranker | None:
    """Fit the re-ranker on the archive itself: each past appeal's own reply is the right answer."""
    from minyi.assistant.rerank import GbmReranker

    return GbmReranker.fit(index, queries, own_rows, **kw)


def log1p(x: float) -> float:
    return math.log1p(max(x, 0.0))
