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

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse

from minyi.assistant.dense import DIM
from minyi.assistant.text import NO_SYNONYMS, SynonymMap, normalize, words

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
N_FEATURES = 1 << 20
BLOCK = 2048
POOL = 40
MAX_QUERY_TERMS = 64  # per view: a query is scored on its 64 heaviest terms (tf·idf)
TITLE_BOOST = 1  # the query's first line (the title) counted this many times
K1 = 1.2
B = 0.75
MERGE = 4  # this many sealed blocks of one size are merged into one (few, large blocks; log-many merges per row)
PRECEDENTS = 10  # archived appeals whose replies feed the precedent view
PRECEDENT_TAU = 0.05  # softmax temperature over their cosine similarity to the query
PRECEDENT_TERMS = 128  # the precedent query keeps its heaviest terms
VIEWS = ("char", "word", "bm25w", "prec", "dense")
# Fusion weights, fixed by hand (docs/assistant.md); BM25 over char grams was dropped: it cost as
# much memory as the char view and did not move recall (docs/benchmarks.md).
WEIGHTS = {"char": 1.0, "word": 0.6, "bm25w": 0.3, "prec": 0.6, "dense": 1.0}
Block = tuple[sparse.csc_matrix, sparse.csc_matrix | None]

_KEEP = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")


def _hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little") % N_FEATURES


class _Hasher:
    """Token → bucket, memoised (the vocabulary of a district is a few hundred thousand tokens)."""

    def __init__(self) -> None:
        self.memo: dict[str, int] = {}

    def __call__(self, tokens: Iterable[str]) -> dict[int, int]:
        out: dict[int, int] = {}
        memo = self.memo
        for t in tokens:
            j = memo.get(t)
            if j is None:
                j = memo[t] = _hash(t)
            out[j] = out.get(j, 0) + 1
        return out


def char_grams(text: str) -> list[str]:
    """Character 2- and 3-grams inside runs of CJK / letters / digits."""
    grams: list[str] = []
    for run in _KEEP.split(normalize(text)):
        n = len(run)
        grams.extend(run[i : i + 2] for i in range(n - 1))
        grams.extend(run[i : i + 3] for i in range(n - 2))
        if n == 1:
            grams.append(run)
    return grams


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


class _View:
    """One token view: append-only blocks of sublinear tf (and BM25-saturated tf when ``bm25``)."""

    def __init__(self, tokenize: Callable[[str], list[str]], bm25: bool = True) -> None:
        self.tokenize = tokenize
        self.bm25 = bm25
        self.hasher = _Hasher()
        self.df = np.zeros(N_FEATURES, dtype=np.float64)
        self.n = 0
        self.total_len = 0.0
        self.sealed: list[Block] = []
        self.norms: list[float] = []
        self._open: list[dict[int, int]] = []
        self._open_cache: Block | None = None

    def counts(self, text: str) -> dict[int, int]:
        return self.hasher(self.tokenize(text))

    def idf(self, cols: npt.NDArray[np.int64]) -> FloatArray:
        df = self.df[cols]
        result: FloatArray = np.log((1.0 + self.n) / (1.0 + df)) + 1.0
        return result

    def bm25_idf(self, cols: npt.NDArray[np.int64]) -> FloatArray:
        df = self.df[cols]
        result: FloatArray = np.log1p((self.n - df + 0.5) / (df + 0.5))
        return result

    def add(self, counts: dict[int, int]) -> None:
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        self.df[cols] += 1.0
        self.n += 1
        self.total_len += sum(counts.values())
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        w = (1.0 + np.log(tf)) * self.idf(cols)
        self.norms.append(float(np.sqrt((w * w).sum())) or 1.0)
        self._open.append(counts)
        self._open_cache = None
        if len(self._open) >= BLOCK:
            self.sealed.append(self._build(self._open, len(self.norms) - len(self._open)))
            self._open = []
            self._merge()

    def _merge(self) -> None:
        """Merge the last ``MERGE`` sealed blocks when they have the same size (sealed rows are never recomputed)."""
        while len(self.sealed) >= MERGE and len({b[0].shape[0] for b in self.sealed[-MERGE:]}) == 1:
            tail = self.sealed[-MERGE:]
            sub = sparse.vstack([b[0] for b in tail], format="csc")
            sat = sparse.vstack([b[1] for b in tail], format="csc") if self.bm25 else None
            self.sealed[-MERGE:] = [(sub, sat)]

    def _build(self, rows: list[dict[int, int]], start: int) -> Block:
        indptr = [0]
        idx: list[int] = []
        vals: list[int] = []
        for c in rows:
            idx.extend(c)
            vals.extend(c.values())
            indptr.append(len(idx))
        tf = np.asarray(vals, dtype=np.float64)
        shape = (len(rows), N_FEATURES)
        lengths = np.asarray([sum(c.values()) for c in rows], dtype=np.float64)
        avg = self.total_len / max(self.n, 1)
        k = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        row_of = np.repeat(np.arange(len(rows)), np.diff(indptr))
        norms = np.asarray(self.norms[start : start + len(rows)], dtype=np.float64)
        sub = sparse.csr_matrix(((1.0 + np.log(tf)) / norms[row_of], idx, indptr), shape=shape, dtype=np.float32)
        if not self.bm25:
            return sub.tocsc(), None
        sat = sparse.csr_matrix((tf * (K1 + 1) / (tf + k[row_of]), idx, indptr), shape=shape, dtype=np.float32)
        return sub.tocsc(), sat.tocsc()

    def blocks(self) -> list[Block]:
        if not self._open:
            return self.sealed
        if self._open_cache is None:
            self._open_cache = self._build(self._open, len(self.norms) - len(self._open))
        return [*self.sealed, self._open_cache]

    def weighted(self, cols: npt.NDArray[np.int64], weights: FloatArray) -> FloatArray:
        """Every row's dot product with an explicit column weighting (rows are stored as tf / norm)."""
        if not self.n or not len(cols):
            return np.zeros(self.n)
        w = weights.astype(np.float32)
        return np.concatenate([np.asarray(sub[:, cols] @ w, dtype=np.float64).ravel() for sub, _sat in self.blocks()])

    def query_weights(self, q: dict[int, int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32]] | None:
        """The query's columns with their cosine and BM25 weights (its heaviest terms), or None."""
        if not q or not self.n:
            return None
        cols = np.fromiter(q, dtype=np.int64, count=len(q))
        qtf = 1.0 + np.log(np.fromiter(q.values(), dtype=np.float64, count=len(q)))
        keep = self.df[cols] > 0
        cols, qtf = cols[keep], qtf[keep]
        if not len(cols):
            return None
        idf = self.idf(cols)
        qw = qtf * idf
        if len(cols) > MAX_QUERY_TERMS:  # the rarest terms decide; frequent ones cost the most (long postings)
            keep_top = np.argpartition(-qw, MAX_QUERY_TERMS - 1)[:MAX_QUERY_TERMS]
            cols, qtf, idf, qw = cols[keep_top], qtf[keep_top], idf[keep_top], qw[keep_top]
        qw /= np.sqrt((qw * qw).sum()) or 1.0
        return cols, (qw * idf).astype(np.float32), (qtf * self.bm25_idf(cols)).astype(np.float32)

    def scores(self, q: dict[int, int]) -> tuple[FloatArray, FloatArray]:
        """(TF-IDF cosine, BM25 with query-term weighting) for every row."""
        weights = self.query_weights(q)
        if weights is None:
            return np.zeros(self.n), np.zeros(self.n)
        cols, cos_w, bm_w = weights
        cos_parts: list[FloatArray] = []
        bm_parts: list[FloatArray] = []
        for sub, sat in self.blocks():
            cos_parts.append(np.asarray(sub[:, cols] @ cos_w, dtype=np.float64).ravel())
            if sat is not None:
                bm_parts.append(np.asarray(sat[:, cols] @ bm_w, dtype=np.float64).ravel())
        return np.concatenate(cos_parts), np.concatenate(bm_parts) if bm_parts else np.zeros(self.n)


    def unit_row(self, counts: dict[int, int]) -> dict[int, float]:
        """A text that is not a row, weighted as rows are stored (sublinear tf over its TF-IDF norm)."""
        if not counts:
            return {}
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        norm = float(np.sqrt(((tf * self.idf(cols)) ** 2).sum())) or 1.0
        return dict(zip(cols.tolist(), (tf / norm).tolist(), strict=True))

    def score_text(self, counts: dict[int, int], q: dict[int, int]) -> tuple[float, float]:
        """(TF-IDF cosine, BM25) of a text that is not a row, against the query, as ``scores`` would give it."""
        weights = self.query_weights(q)
        if weights is None or not counts:
            return 0.0, 0.0
        cols, cos_w, bm_w = weights
        row = self.unit_row(counts)
        cos = float(sum(row.get(c, 0.0) * float(w) for c, w in zip(cols.tolist(), cos_w, strict=True)))
        length = sum(counts.values())
        k = K1 * (1 - B + B * length / max(self.total_len / max(self.n, 1), 1e-9))
        bm = sum((counts[c] * (K1 + 1) / (counts[c] + k)) * float(w) for c, w in zip(cols.tolist(), bm_w, strict=True) if c in counts)
        return cos, float(bm)


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
        self.char = _View(lambda t: char_grams(synonyms.fold(t)), bm25=False)
        self.word = _View(lambda t: words(t, synonyms))
        self.appeal = _View(lambda t: char_grams(synonyms.fold(t)), bm25=False)  # each reply's own appeal
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

    def view_scores(self, query: str, hidden: BoolArray | None = None, query_vector: npt.NDArray[np.float32] | None = None) -> dict[str, FloatArray]:
        """Each view's score of every row; ``hidden`` rows' appeals are not precedents (leave-out)."""
        head, _sep, body = query.strip().partition("\n")
        if body and self.title_boost > 1:
            query = "\n".join([head] * self.title_boost + [body])
        cc, _none = self.char.scores(self.char.counts(query))
        wc, wb = self.word.scores(self.word.counts(query))
        prec = self.precedent_scores(query, hidden)
        return {"char": cc, "word": wc, "bm25w": wb, "prec": prec, "dense": self.dense_scores(query_vector)}

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
        pq = self._precedent_query(query, hidden)
        if pq is None:
            return np.zeros(len(self))
        top, w, rows, cols, vals, idf2 = pq
        out = self.char.weighted(cols, vals)
        for j, wj, row in zip(top.tolist(), w.tolist(), rows, strict=True):
            own = np.asarray([row.get(c, 0.0) for c in cols.tolist()])
            out[j] -= wj * float((own * own * idf2).sum())
        return out

    def _precedent_query(
        self, query: str, hidden: BoolArray | None
    ) -> tuple[npt.NDArray[np.int64], FloatArray, list[dict[int, float]], npt.NDArray[np.int64], FloatArray, FloatArray] | None:
        """The precedents, their weights and stored rows, and the precedent query's columns and weights."""
        top, w = self.precedents(query, hidden)
        if not len(top):
            return None
        view = self.char
        rows: list[dict[int, float]] = []
        acc: dict[int, float] = {}
        for j, wj in zip(top.tolist(), w.tolist(), strict=True):
            # the row as stored (sublinear tf over its norm); the idf is applied to the query side
            row = {c: (1.0 + math.log(tf)) / view.norms[j] for c, tf in view.counts(self.texts[j]).items()}
            rows.append(row)
            for c, v in row.items():
                acc[c] = acc.get(c, 0.0) + wj * v
        cols = np.fromiter(acc, dtype=np.int64, count=len(acc))
        idf2 = view.idf(cols) ** 2
        vals = np.fromiter(acc.values(), dtype=np.float64, count=len(acc)) * idf2
        if len(cols) > PRECEDENT_TERMS:
            keep = np.argpartition(-vals, PRECEDENT_TERMS - 1)[:PRECEDENT_TERMS]
            cols, vals, idf2 = cols[keep], vals[keep], idf2[keep]
        return top, w, rows, cols, vals, idf2

    def fused(self, views: dict[str, FloatArray]) -> FloatArray:
        total = np.zeros(len(self))
        for name, w in self.weights.items():
            if w:
                total += w * _z(views[name])
        return total

    def candidates(
        self,
        query: str,
        pool: int = POOL,
        hidden: BoolArray | None = None,
        query_vector: npt.NDArray[np.float32] | None = None,
        views: dict[str, FloatArray] | None = None,
    ) -> list[Candidate]:
        """The best ``pool`` distinct texts by fused score (one row per group of identical replies)."""
        if not len(self):
            return []
        views = views if views is not None else self.view_scores(query, hidden, query_vector)
        cos = views["dense"]
        fused = self.fused(views)
        zs = {name: _z(v) for name, v in views.items()}
        take = min(len(fused), pool * 3)
        idx = np.argpartition(-fused, take - 1)[:take]
        idx = idx[np.argsort(-fused[idx], kind="stable")]
        seen: set[int] = set()
        out: list[Candidate] = []
        for i in idx:
            g = self.groups[int(i)]
            if g in seen:
                continue
            seen.add(g)
            out.append(
                Candidate(int(i), self.keys[int(i)], self.texts[int(i)], float(fused[i]), {n: float(z[i]) for n, z in zs.items()}, cos=float(cos[i]))
            )
            if len(out) >= pool:
                break
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
        """P(``reply`` is this appeal's own answer), judged among the archive's best replies for it.

        The reply (a draft, not a row) is scored by every view as a row would be, put into the
        pool in place of any identical archived text, and the re-ranker orders the pool. None
        without a fitted re-ranker. This is what 答复质检 asks: would this reply be found as the
        answer to this appeal, or does another appeal's reply fit better?
        """
        if self.reranker is None or not len(self) or not reply.strip():
            return None
        views = self.view_scores(query, hidden, query_vector)
        raw = self._draft_scores(query, reply, hidden, query_vector, reply_vector)
        z = {}
        for name, arr in views.items():
            sd = float(arr.std())
            z[name] = (raw[name] - float(arr.mean())) / sd if sd > 0 else 0.0
        fused = sum(w * z[name] for name, w in self.weights.items() if w)
        group = self._first.get(" ".join(reply.split()))
        pool = [c for c in self.candidates(query, views=views) if self.groups[c.row] != group][: POOL - 1]
        draft = Candidate(-1, -1, reply, float(fused), z, cos=raw["dense"])
        pool = sorted([*pool, draft], key=lambda c: -c.fused)
        _rank(pool)
        p = self.reranker.order(self, query, pool)
        return float(p[pool.index(draft)])

    def _draft_scores(
        self,
        query: str,
        reply: str,
        hidden: BoolArray | None,
        query_vector: npt.NDArray[np.float32] | None,
        reply_vector: npt.NDArray[np.float32] | None,
    ) -> dict[str, float]:
        head, _sep, body = query.strip().partition("\n")
        if body and self.title_boost > 1:
            query = "\n".join([head] * self.title_boost + [body])
        cc, _bm = self.char.score_text(self.char.counts(reply), self.char.counts(query))
        wc, wb = self.word.score_text(self.word.counts(reply), self.word.counts(query))
        prec = 0.0
        pq = self._precedent_query(query, hidden)
        if pq is not None:
            top, w, _rows, cols, vals, idf2 = pq
            row = self.char.unit_row(self.char.counts(reply))
            mine = np.asarray([row.get(c, 0.0) for c in cols.tolist()])
            prec = float((mine * vals).sum())
            group = self._first.get(" ".join(reply.split()))
            for j, wj in zip(top.tolist(), w.tolist(), strict=True):
                if self.groups[j] == group:  # the reply is a precedent's own text: not scored from its appeal
                    prec -= wj * float((mine * mine * idf2).sum())
        cos = float(np.dot(query_vector, reply_vector)) if query_vector is not None and reply_vector is not None else 0.0
        return {"char": cc, "word": wc, "bm25w": wb, "prec": prec, "dense": cos}

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
