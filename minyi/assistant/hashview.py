"""Hashed, append-only token views: the storage under the past-replies index (``replyindex.py``).

Tokens are hashed into a fixed space (``2**20`` buckets), so the vocabulary never changes. Rows
are appended to a small open block; a full block is sealed as a column-compressed matrix, and
sealed blocks of equal size are merged (``MERGE`` into one), so a large archive is a few large
blocks. No row is ever tokenised or weighted again. Document frequencies are a running count and
the IDF is read from it at query time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt
from scipy import sparse

from minyi.assistant.text import normalize

FloatArray = npt.NDArray[np.float64]
MAX_QUERY_TERMS = 64  # per view: a query is scored on its 64 heaviest terms (tf·idf)
N_FEATURES = 1 << 20
BLOCK = 2048
K1 = 1.2
B = 0.75
MERGE = 4  # this many sealed blocks of one size are merged into one (few, large blocks; log-many merges per row)
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


class HashedView:
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
