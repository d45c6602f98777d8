"""Linear heads and the certainty features of the triage classifier.

Training-only code (scikit-learn is imported inside the functions, so
serving never loads it), except ``certainty_features``, which serving
uses to turn head scores into the certainty that decides abstention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .features import Featurizer

__all__ = ["certainty_features"]

FloatArray = npt.NDArray[np.float32]


def _fit_head(
    spec: dict[str, Any],
    X: sp.csr_matrix,
    y: npt.NDArray[np.int64],
    n_classes: int,
    cols: npt.NDArray[np.int64] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Fit one linear head; return (W, b) with one row per class.

    ``cols`` restricts the head to some feature blocks (a "view"); its
    weights elsewhere are zero, so serving cost is unchanged.
    """
    n_features = X.shape[1]
    if cols is not None:
        X = X[:, cols]
    if spec["kind"] == "nbsvm":
        W, b, present = _fit_nbsvm(spec, X, y)
        return _embed(W, b, present, n_classes, n_features, cols, -1e3)
    # sklearn is imported only for training: serving never needs it, and
    # it costs ~80 MB of RAM and a second of start-up.
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    kind = spec["kind"]
    if kind == "svc":
        model: Any = LinearSVC(C=float(spec.get("C", 0.5)), class_weight=spec.get("class_weight"), dual=False, random_state=0)
    elif kind == "sgd":
        model = SGDClassifier(
            loss="modified_huber",
            alpha=float(spec.get("alpha", 2e-5)),
            max_iter=int(spec.get("max_iter", 30)),
            tol=None,
            random_state=0,
        )
    elif kind == "lr":
        model = LogisticRegression(C=float(spec.get("C", 20.0)), max_iter=200)
    elif kind == "cnb":
        model = ComplementNB(alpha=float(spec.get("alpha", 0.3)))
    else:
        raise ValueError(f"unknown head kind {kind!r}")
    model.fit(X, y)
    if kind == "cnb":
        W = np.asarray(model.feature_log_prob_, dtype=np.float32)
        b = np.zeros(W.shape[0], dtype=np.float32)
        # Centre per feature so scores are comparable in scale to the others.
        W = W - W.mean(axis=0, keepdims=True)
    else:
        W = np.asarray(model.coef_, dtype=np.float32)
        b = np.asarray(model.intercept_, dtype=np.float32)
    if W.shape[0] == 1 and n_classes == 2:
        W = np.vstack([-W, W])
        b = np.array([-b[0], b[0]], dtype=np.float32)
    present = np.asarray(model.classes_, dtype=np.int64)
    return _embed(W, b, present, n_classes, n_features, cols, -1e3 if kind != "cnb" else 0.0)


def _embed(
    W: FloatArray,
    b: FloatArray,
    present: npt.NDArray[np.int64],
    n_classes: int,
    n_features: int,
    cols: npt.NDArray[np.int64] | None,
    missing_bias: float,
) -> tuple[FloatArray, FloatArray]:
    """Place a head's rows into a full (classes × features) matrix."""
    full_W = np.zeros((n_classes, n_features), dtype=np.float32)
    # A fold can miss a rare class; its score row stays very negative.
    full_b = np.full(n_classes, missing_bias, dtype=np.float32)
    if cols is None:
        full_W[present] = W
    else:
        full_W[np.ix_(present, cols)] = W
    full_b[present] = b
    return full_W, full_b


def _fit_nbsvm(
    spec: dict[str, Any], X: sp.csr_matrix, y: npt.NDArray[np.int64]
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """NB-SVM (Wang & Manning 2012): one-vs-rest linear SVMs on features
    scaled by the naive-Bayes log-count ratio of the class.

    The ratio ``r`` comes from binarised counts with add-``alpha``
    smoothing.  The SVM learns ``w`` on ``X * r``, so the served weight is
    simply ``w * r``: serving cost is that of any other linear head.
    """
    from sklearn.svm import LinearSVC

    alpha = float(spec.get("alpha", 1.0))
    C = float(spec.get("C", 0.3))
    Xb = X.copy()
    Xb.data[:] = 1.0
    present = np.unique(y)
    Ws: list[FloatArray] = []
    bs: list[float] = []
    for c in present:
        pos = y == c
        if pos.all():  # a single class: nothing to separate
            Ws.append(np.zeros(X.shape[1], dtype=np.float32))
            bs.append(0.0)
            continue
        p = alpha + np.asarray(Xb[pos].sum(axis=0)).ravel()
        q = alpha + np.asarray(Xb[~pos].sum(axis=0)).ravel()
        r = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
        svm = LinearSVC(C=C, class_weight="balanced", dual=False, random_state=0)
        svm.fit(X @ sp.diags(r), pos)
        Ws.append((svm.coef_.ravel() * r).astype(np.float32))
        bs.append(float(svm.intercept_[0]))
    return np.vstack(Ws), np.asarray(bs, dtype=np.float32), present.astype(np.int64)


def certainty_features(Z: npt.NDArray[np.floating[Any]], P: npt.NDArray[np.floating[Any]]) -> FloatArray:
    """Inputs of the certainty model, one row per text.

    ``Z`` holds the heads' scores (heads × classes columns), ``P`` the
    stacker's probabilities.  Columns: top-1 probability, its log, the
    top-1 − top-2 gap; per head the top-1 − top-2 score margin, whether
    the head's own argmax agrees with the stacker, and its score for the
    stacker's label; finally the predicted class one-hot.
    """
    n_rows, n_classes = P.shape
    rows = np.arange(n_rows)
    pred = P.argmax(axis=1)
    sP = np.sort(P, axis=1)
    top = sP[:, -1]
    cols: list[npt.NDArray[Any]] = [top, np.log(np.clip(top, 1e-12, None)), top - sP[:, -2]]
    for h in range(Z.shape[1] // n_classes):
        Zh = Z[:, h * n_classes : (h + 1) * n_classes]
        sZ = np.sort(Zh, axis=1)
        cols += [sZ[:, -1] - sZ[:, -2], (Zh.argmax(axis=1) == pred).astype(np.float32), Zh[rows, pred]]
    F = np.column_stack([*cols, np.eye(n_classes, dtype=np.float32)[pred]])
    return np.asarray(F, dtype=np.float32)


def _view_columns(featurizer: Featurizer, names: Sequence[str] | None) -> npt.NDArray[np.int64] | None:
    if not names:
        return None
    unknown = set(names) - {b.name for b in featurizer.blocks}
    if unknown:
        raise ValueError(f"head refers to unknown feature blocks: {sorted(unknown)}")
    parts: list[npt.NDArray[np.int64]] = []
    start = 0
    for b in featurizer.blocks:
        if b.name in names:
            parts.append(np.arange(start, start + len(b), dtype=np.int64))
        start += len(b)
    return np.concatenate(parts)
