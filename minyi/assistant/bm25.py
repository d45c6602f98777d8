"""Okapi BM25 over a sparse matrix (numpy + scipy), and a hybrid of several token views.

The weight matrix is computed once at build time, so scoring a query is one sparse
matrix-vector product: fast enough for the whole past-replies corpus on one core.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


class BM25:
    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(docs), dtype=np.float64)
        for i, tokens in enumerate(docs):
            counts = Counter(tokens)
            lengths[i] = len(tokens)
            for tok, c in counts.items():
                j = self.vocab.setdefault(tok, len(self.vocab))
                rows.append(i)
                cols.append(j)
                vals.append(float(c))
        self.n_docs = len(docs)
        shape = (self.n_docs, max(len(self.vocab), 1))
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=shape[1]).astype(np.float64)
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5))
        self.max_idf = math.log1p((self.n_docs + 0.5) / 0.5)
        avgdl = float(lengths.mean()) if self.n_docs else 1.0
        norm = k1 * (1 - b + b * lengths / max(avgdl, 1e-9))
        tf = tf.tocoo()
        data = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * self.idf[tf.col]
        self.weights = sparse.csc_matrix((data, (tf.row, tf.col)), shape=shape)

    def idf_of(self, token: str) -> float:
        """IDF of a token; unseen tokens get the maximum (they are the most specific)."""
        j = self.vocab.get(token)
        return self.max_idf if j is None else float(self.idf[j])

    def scores(self, query: Sequence[str]) -> np.ndarray:
        counts = Counter(t for t in query if t in self.vocab)
        if not counts or self.n_docs == 0:
            return np.zeros(self.n_docs)
        cols = [self.vocab[t] for t in counts]
        q = np.asarray([counts[t] for t in counts], dtype=np.float64)
        sub = self.weights[:, cols]
        return np.asarray(sub @ q).ravel()


@dataclass
class View:
    """One way of turning text into tokens, with its weight in the hybrid score."""

    name: str
    tokenize: Callable[[str], list[str]]
    weight: float


@dataclass
class HybridIndex:
    """Max-normalised weighted sum of BM25 over several views, plus optional dense cosine."""

    views: list[View]
    texts: Sequence[str]
    dense: Callable[[Sequence[str]], np.ndarray] | None = None
    dense_weight: float = 0.3
    indexes: dict[str, BM25] = field(default_factory=dict)
    _dense_matrix: np.ndarray | None = None

    def __post_init__(self) -> None:
        for view in self.views:
            self.indexes[view.name] = BM25([view.tokenize(t) for t in self.texts])
        if self.dense is not None and len(self.texts):
            self._dense_matrix = self.dense(list(self.texts))

    def __len__(self) -> int:
        return len(self.texts)

    def scores(self, query: str) -> np.ndarray:
        total = np.zeros(len(self.texts))
        for view in self.views:
            s = self.indexes[view.name].scores(view.tokenize(query))
            top = float(s.max()) if len(s) else 0.0
            if top > 0:
                total += view.weight * s / top
        if self._dense_matrix is not None and self.dense is not None:
            qv = self.dense([query])[0]
            cos = self._dense_matrix @ qv
            total += self.dense_weight * np.clip(cos, 0, None)
        return total

    def top(self, query: str, k: int = 5, exclude: set[int] | None = None) -> list[tuple[int, float]]:
        s = self.scores(query)
        if exclude:
            s[list(exclude)] = -1.0
        if not len(s):
            return []
        k = min(k, len(s))
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return [(int(i), float(s[i])) for i in idx if s[i] > 0]
