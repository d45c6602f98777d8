"""Category classifier: TF-IDF blocks → linear heads → stacked calibrator.

Shape of the model (all of it linear algebra on stored arrays):

* features: char 1-2-grams and rjieba word uni+bigrams of title+body, plus
  separately weighted title blocks (titles are dense topic summaries);
* heads: a class-balanced linear SVM, ComplementNB and an NB-SVM (one-vs-rest
  SVMs over naive-Bayes log-count-ratio scaled features) by default (SGD,
  logistic regression and per-block "view" heads are configurable), each
  giving one score per class;
* calibrator: a multinomial logistic regression over the heads' scores,
  fitted on out-of-fold scores, which both stacks the heads and turns
  margins into probabilities.  It also sees each feature block's share of
  every head's score (title vs whole text, chars vs words), so a text whose
  title and body point different ways is recognisably less certain;
* certainty: a small binary logistic regression, fitted out-of-fold, that
  estimates P(top-1 is right) from the stacker's top-1 probability and
  margin, each head's margin and agreement, and the predicted class.  It
  ranks "safe to dispatch automatically" better than the top-1
  probability alone;
* abstain threshold: the lowest certainty at which out-of-fold
  predictions still reach the target precision.  It is stored with the
  model and never re-fitted on evaluation data.

Files are ``.npz`` archives loaded with ``allow_pickle=False`` plus a JSON
metadata entry, so loading a model from an untrusted path cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .features import FeatureBlock, Featurizer, tokenizer_name
from .heads import _fit_head, _view_columns, certainty_features

__all__ = [
    "DEFAULT_BLOCKS",
    "DEFAULT_HEADS",
    "FORMAT_VERSION",
    "LabelScore",
    "Prediction",
    "TriageModel",
    "certainty_features",
    "choose_threshold",
    "data_fingerprint",
    "fit_model",
    "stacker_inputs",
    "text_hash",
    "text_hashes",
]

log = logging.getLogger(__name__)
# 2 adds the certainty model, 3 the per-block stacker inputs; older files
# still load.  A file is written with the lowest version that can hold it.
FORMAT_VERSION = 3
_READABLE_VERSIONS = (1, 2, 3)
FloatArray = npt.NDArray[np.float32]

DEFAULT_BLOCKS: tuple[dict[str, Any], ...] = (
    {"name": "char", "field": "all", "analyzer": "char", "ngram": [1, 2], "weight": 1.0, "min_df": 2, "max_df": 0.9},
    {"name": "word", "field": "all", "analyzer": "word", "ngram": [1, 2], "weight": 1.0, "min_df": 2, "max_df": 0.9},
    {"name": "title_char", "field": "title", "analyzer": "char", "ngram": [1, 2], "weight": 0.6, "min_df": 2, "max_df": 1.0},
    {"name": "title_word", "field": "title", "analyzer": "word", "ngram": [1, 2], "weight": 0.6, "min_df": 1, "max_df": 1.0},
)
DEFAULT_HEADS: tuple[dict[str, Any], ...] = (
    {"kind": "svc", "C": 0.5, "class_weight": "balanced"},
    {"kind": "cnb", "alpha": 0.3},
    {"kind": "nbsvm", "C": 0.3, "alpha": 1.0},
)


# Words that carry no reason a dispatcher could check ("一个", "我们"), and what makes a term unreadable:
# punctuation or a lone character left over from a character n-gram ("一个、", ",晚").
_FILLER = frozenset(
    [
        "一个", "我们", "你们", "他们", "没有", "已经", "这个", "那个", "什么", "进行", "现在", "还是", "就是",
        "可以", "问题", "情况", "反映", "希望", "请求", "相关", "目前", "因为", "所以", "但是", "以及",
    ]
)
_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def readable_term(term: str) -> bool:
    """A reason term worth showing: two or more word characters, no punctuation, not a filler word.
    Word n-grams keep their inner spaces ("路灯 不亮")."""
    words = term.split()
    return len("".join(words)) >= 2 and all(_WORD_CHAR.match(ch) for w in words for ch in w) and term not in _FILLER


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    probability: float


@dataclass(frozen=True, slots=True)
class Prediction:
    top: tuple[LabelScore, ...]
    reason_terms: tuple[str, ...]
    abstain: bool  # True → manual dispatch queue
    threshold: float
    # Estimated probability that the top label is right; ``abstain`` is
    # ``certainty < threshold``.  Equals the top probability for models
    # without a certainty model (format version 1).
    certainty: float | None = None

    @property
    def label(self) -> str:
        return self.top[0].label

    @property
    def confidence(self) -> float:
        return self.top[0].probability


def text_hashes(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """Sorted unique 64-bit hashes of the normalised texts.

    A model keeps them, so that a later champion/challenger comparison can
    tell which validation rows the champion has already trained on.
    """
    return np.unique(np.array([text_hash(t) for t in texts], dtype=np.uint64))


def text_hash(text: str) -> int:
    """64-bit hash of the normalised text (``text_hashes`` holds these)."""
    from .normalize import normalize_text

    return int.from_bytes(hashlib.sha256(normalize_text(text).encode()).digest()[:8], "big")


def data_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Order-independent SHA-256 of (text, label) pairs."""
    rows = sorted(hashlib.sha256(f"{lab}\x1f{t}".encode()).hexdigest() for t, lab in zip(texts, labels, strict=True))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def choose_threshold(
    confidence: npt.NDArray[np.floating[Any]],
    correct: npt.NDArray[np.bool_],
    target: float,
    z: float = 0.0,
) -> float:
    """Lowest threshold whose auto-dispatched set reaches ``target`` precision.

    Scanning from the most confident prediction down, precision of the
    accepted set is computed at every cut; the cut with the largest coverage
    that still meets the target wins.  ``z`` > 0 asks for the precision
    minus ``z`` binomial standard errors to meet the target instead: picking
    the best cut on noisy estimates is optimistic, and unseen data would
    otherwise land just under the target.  Returns 1.0 (nothing automatic)
    when the target is never reached, e.g. on tiny training sets.
    """
    order = np.argsort(-confidence, kind="stable")
    conf = confidence[order]
    hits = np.cumsum(correct[order])
    n_acc = np.arange(1, len(conf) + 1)
    precision = hits / n_acc
    if z > 0:
        precision = precision - z * np.sqrt(np.clip(precision * (1 - precision), 1e-6, None) / n_acc)
    # Only cut between distinct confidence values: a threshold accepts all
    # ties at once.
    last_of_tie = np.r_[conf[1:] != conf[:-1], True]
    ok = np.flatnonzero((precision >= target) & last_of_tie)
    if ok.size == 0:
        return 1.0
    return float(conf[ok.max()])


def stacker_inputs(
    X_blocks: Sequence[sp.csr_matrix],
    WT: FloatArray,
    bias: FloatArray,
    bounds: Sequence[tuple[int, int]],
    per_block: bool,
) -> FloatArray:
    """The heads' scores as the stacker sees them, one row per text.

    ``WT`` is (features × heads·classes).  The first heads·classes columns
    are the full scores; with ``per_block`` each feature block's share of
    them follows, block by block (the shares sum to the full score minus
    the bias).  Computing block by block costs the same as one product.
    """
    parts = [np.asarray(Xb @ WT[lo:hi], dtype=np.float32) for Xb, (lo, hi) in zip(X_blocks, bounds, strict=True)]
    full = np.zeros((X_blocks[0].shape[0], WT.shape[1]), dtype=np.float32) + bias
    for part in parts:
        full += part
    if not per_block:
        return full
    return np.hstack([full, *parts])


def _softmax(z: npt.NDArray[np.floating[Any]]) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out


class TriageModel:
    def __init__(
        self,
        classes: list[str],
        featurizer: Featurizer,
        heads: list[tuple[dict[str, Any], FloatArray, FloatArray]],
        meta_W: FloatArray,
        meta_b: FloatArray,
        threshold: float,
        metadata: dict[str, Any],
        certainty_W: FloatArray | None = None,
        certainty_b: float = 0.0,
        per_block: bool = False,
        train_hashes: npt.NDArray[np.uint64] | None = None,
    ) -> None:
        self.classes = classes
        self.featurizer = featurizer
        self.heads = heads
        self.meta_W = meta_W
        self.meta_b = meta_b
        self.threshold = threshold
        self.metadata = metadata
        # None: no certainty model (version-1 file); the top probability is
        # then the certainty.
        self.certainty_W = certainty_W
        self.certainty_b = float(certainty_b)
        self.per_block = per_block
        # None for files written before the hashes were kept.
        self.train_hashes = train_hashes
        self._bounds = featurizer.bounds()
        # (features × heads·classes), C-contiguous: sparse @ dense needs a
        # contiguous right operand, and a transposed view would be copied
        # (tens of MB) on every call.
        self._stack_WT = np.ascontiguousarray(np.vstack([W for _, W, _ in heads]).T)
        # Keep one copy of the weights: the heads become views into it.
        n = len(classes)
        self.heads = [(spec, self._stack_WT[:, h * n : (h + 1) * n].T, b) for h, (spec, _, b) in enumerate(heads)]
        self._stack_b = np.concatenate([b for _, _, b in heads])

    # -- inference ---------------------------------------------------------
    def head_scores(self, X: sp.csr_matrix) -> FloatArray:
        scores: FloatArray = np.asarray(X @ self._stack_WT, dtype=np.float32) + self._stack_b
        return scores

    def stacker_inputs(self, X_blocks: Sequence[sp.csr_matrix]) -> FloatArray:
        return stacker_inputs(X_blocks, self._stack_WT, self._stack_b, self._bounds, self.per_block)

    def proba_from_features(self, X: sp.csr_matrix) -> FloatArray:
        X = sp.csr_matrix(X)
        return self._proba_certainty([X[:, lo:hi] for lo, hi in self._bounds])[0]

    def _proba_certainty(self, X_blocks: Sequence[sp.csr_matrix]) -> tuple[FloatArray, FloatArray]:
        Z = self.stacker_inputs(X_blocks)
        P = _softmax(Z @ self.meta_W.T + self.meta_b)
        if self.certainty_W is None:
            return P, P.max(axis=1)
        logit = certainty_features(Z, P) @ self.certainty_W + self.certainty_b
        cert: FloatArray = (1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0)))).astype(np.float32)
        return P, cert

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Class probabilities, columns in ``self.classes`` order."""
        return self._proba_certainty(self.featurizer.transform_blocks(texts))[0]

    def predict_proba_certainty(self, texts: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """(class probabilities, certainty of the top label); abstain where
        certainty < ``self.threshold``."""
        return self._proba_certainty(self.featurizer.transform_blocks(texts))

    def predict(self, texts: Sequence[str], k: int = 3, n_terms: int = 5) -> list[Prediction]:
        X_blocks = self.featurizer.transform_blocks(texts)
        P, cert = self._proba_certainty(X_blocks)
        X = sp.hstack(X_blocks, format="csr", dtype=np.float32)
        out: list[Prediction] = []
        for i in range(len(texts)):
            order = np.argsort(-P[i])[:k]
            top = tuple(LabelScore(self.classes[j], round(float(P[i, j]), 4)) for j in order)
            reasons = self._reason_terms(X.getrow(i), int(order[0]), n_terms)
            c = float(cert[i])
            out.append(Prediction(top, reasons, bool(c < self.threshold), self.threshold, round(c, 4)))
        return out

    def predict_one(self, text: str, k: int = 3) -> Prediction:
        return self.predict([text], k=k)[0]

    def _reason_terms(self, x: sp.csr_matrix, cls: int, n: int) -> tuple[str, ...]:
        # Contribution of each present feature to the winning class, using
        # the first head (the SVM): its weights are the most interpretable
        # and the stacker is monotone in them.
        W = self.heads[0][1]
        contrib = x.data * W[cls, x.indices]
        terms: list[str] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(terms) >= n:
                break
            term = self.featurizer.term(int(x.indices[j])).strip()
            if not readable_term(term) or any(term in t or t in term for t in terms):
                continue
            terms.append(term)
        return tuple(terms)

    # -- persistence -------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write atomically, so a crash mid-save never leaves a half model."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[Any]] = {}
        for i, b in enumerate(self.featurizer.blocks):
            arrays[f"keys_{i}"] = b.keys
            arrays[f"tokens_{i}"] = np.frombuffer("\n".join(b.tokens).encode("utf-8"), dtype=np.uint8)
            arrays[f"idf_{i}"] = b.idf
        for i, (_, W, bias) in enumerate(self.heads):
            arrays[f"head_W_{i}"] = np.ascontiguousarray(W)
            arrays[f"head_b_{i}"] = bias
        arrays["meta_W"] = self.meta_W
        arrays["meta_b"] = self.meta_b
        if self.train_hashes is not None:
            arrays["train_hashes"] = self.train_hashes
        if self.certainty_W is not None:
            arrays["certainty_W"] = self.certainty_W
            arrays["certainty_b"] = np.array([self.certainty_b], dtype=np.float32)
        # The lowest version that holds this model, so older code can read
        # what it can understand.
        version = 3 if self.per_block else 2 if self.certainty_W is not None else 1
        header = {
            "format": "minyi.triage",
            "format_version": version,
            "stack_blocks": self.per_block,
            "classes": self.classes,
            "blocks": [b.spec() for b in self.featurizer.blocks],
            "heads": [h for h, _, _ in self.heads],
            "threshold": self.threshold,
            "metadata": self.metadata,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> TriageModel:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode("utf-8"))
            if header.get("format") != "minyi.triage" or header.get("format_version") not in _READABLE_VERSIONS:
                raise ValueError(f"{path}: not a minyi.triage model (format {header.get('format_version')})")
            blocks: list[FeatureBlock] = []
            for i, spec in enumerate(header["blocks"]):
                blk = FeatureBlock.from_spec(spec)
                blk.keys = z[f"keys_{i}"].astype(np.uint64, copy=False)
                raw = z[f"tokens_{i}"].tobytes().decode("utf-8")
                blk.tokens = raw.split("\n") if raw else []
                blk.idf = z[f"idf_{i}"].astype(np.float32, copy=False)
                blocks.append(blk)
            heads = [
                (spec, z[f"head_W_{i}"].astype(np.float32, copy=False), z[f"head_b_{i}"].astype(np.float32, copy=False))
                for i, spec in enumerate(header["heads"])
            ]
            meta_W, meta_b = z["meta_W"].astype(np.float32), z["meta_b"].astype(np.float32)
            cert_W: FloatArray | None = None
            cert_b = 0.0
            hashes = z["train_hashes"].astype(np.uint64) if "train_hashes" in z.files else None
            if "certainty_W" in z.files:
                cert_W = z["certainty_W"].astype(np.float32)
                cert_b = float(z["certainty_b"][0])
        md = header["metadata"]
        if md.get("tokenizer") and md["tokenizer"] != tokenizer_name():
            log.warning("model trained with %s but %s is in use; word features may drift", md["tokenizer"], tokenizer_name())
        return cls(
            list(header["classes"]),
            Featurizer(blocks),
            heads,
            meta_W,
            meta_b,
            float(header["threshold"]),
            md,
            cert_W,
            cert_b,
            per_block=bool(header.get("stack_blocks", False)),
            train_hashes=hashes,
        )


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    target_precision: float = 0.98,
    blocks: Iterable[dict[str, Any]] = DEFAULT_BLOCKS,
    heads: Iterable[dict[str, Any]] = DEFAULT_HEADS,
    folds: int = 5,
    seed: int = 0,
    threshold_z: float = 1.0,
    certainty: bool = True,
    stack_blocks: bool = False,
) -> TriageModel:
    """Fit features, heads, stacker and abstain threshold on ``texts``.

    Out-of-fold head scores (``folds``-fold CV) train the stacker; its own
    cross-validated probabilities train the certainty model, whose
    cross-validated output chooses the threshold, so the threshold is set
    on predictions for data the model did not train on.  ``certainty=False``
    (or too few errors to learn from) thresholds the top probability
    instead, as format-version-1 models do.  ``stack_blocks`` gives the
    stacker each feature block's share of every head's score as well.
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("need at least two distinct labels to train")
    cidx = {c: i for i, c in enumerate(classes)}
    y = np.array([cidx[lab] for lab in labels], dtype=np.int64)
    head_specs = [dict(h) for h in heads]
    # Vocabulary and idf are unsupervised, so fitting them once on all
    # training text does not leak labels into the out-of-fold scores.
    featurizer = Featurizer([FeatureBlock.from_spec(b) for b in blocks]).fit(texts)
    X_blocks = featurizer.transform_blocks(texts)
    X = sp.hstack(X_blocks, format="csr", dtype=np.float32)
    bounds = featurizer.bounds()
    view_cols = [_view_columns(featurizer, spec.get("blocks")) for spec in head_specs]
    n_classes = len(classes)
    min_count = int(np.bincount(y, minlength=n_classes).min())
    k = max(2, min(folds, min_count))
    n_groups = 1 + (len(bounds) if stack_blocks else 0)
    Z = np.zeros((len(y), n_groups * n_classes * len(head_specs)), dtype=np.float32)

    def inputs(rows: npt.NDArray[np.int64] | None, fitted_heads: Sequence[tuple[FloatArray, FloatArray]]) -> FloatArray:
        WT = np.ascontiguousarray(np.vstack([W for W, _ in fitted_heads]).T)
        bias = np.concatenate([b for _, b in fitted_heads])
        Xs = X_blocks if rows is None else [Xb[rows] for Xb in X_blocks]
        return stacker_inputs(Xs, WT, bias, bounds, stack_blocks)

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if min_count >= 2:
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        for tr, te in skf.split(np.zeros(len(y)), y):
            fold_heads = [_fit_head(spec, X[tr], y[tr], n_classes, view_cols[h]) for h, spec in enumerate(head_specs)]
            Z[te] = inputs(te, fold_heads)
    fitted = [(spec, *_fit_head(spec, X, y, n_classes, view_cols[h])) for h, spec in enumerate(head_specs)]
    if min_count < 2:
        # Too little data for out-of-fold scores; fall back to in-sample
        # scores and refuse automatic dispatch (threshold 1.0).
        Z = inputs(None, [(W, b) for _, W, b in fitted])
    meta = LogisticRegression(C=1.0, max_iter=1000)
    meta.fit(Z, y)
    meta_W = np.asarray(meta.coef_, dtype=np.float32)
    meta_b = np.asarray(meta.intercept_, dtype=np.float32)
    if meta_W.shape[0] == 1:
        meta_W = np.vstack([-meta_W / 2, meta_W / 2])
        meta_b = np.array([-meta_b[0] / 2, meta_b[0] / 2], dtype=np.float32)
    threshold = 1.0
    oof_f1 = oof_cov = None
    cert_W: FloatArray | None = None
    cert_b = 0.0
    if min_count >= 2:
        # Shuffled folds: training files are often sorted by label.
        cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        P = cross_val_predict(LogisticRegression(C=1.0, max_iter=1000), Z, y, cv=cv, method="predict_proba")
        pred = P.argmax(axis=1)
        correct = pred == y
        conf = P.max(axis=1)
        if certainty and min(int(correct.sum()), int((~correct).sum())) >= 2 * k:
            # Certainty model on out-of-fold inputs; its own out-of-fold
            # output chooses the threshold.
            F = certainty_features(Z, P)
            cert_model = LogisticRegression(C=1.0, max_iter=2000)
            cert_cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            conf = cross_val_predict(cert_model, F, correct, cv=cert_cv, method="predict_proba")[:, 1]
            cert_model.fit(F, correct)
            cert_W = np.asarray(cert_model.coef_[0], dtype=np.float32)
            cert_b = float(cert_model.intercept_[0])
        threshold = choose_threshold(conf, correct, target_precision, z=threshold_z)
        oof_f1 = round(float(f1_score(y, pred, average="macro")), 4)
        oof_cov = round(float((conf >= threshold).mean()), 4)
    metadata: dict[str, Any] = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_train": len(texts),
        "data_fingerprint": data_fingerprint(texts, labels),
        "label_counts": {c: int((y == i).sum()) for i, c in enumerate(classes)},
        "target_precision": target_precision,
        "threshold_z": threshold_z,
        "tokenizer": tokenizer_name(),
        "cv_folds": k,
        "abstain_on": "certainty" if cert_W is not None else "top_probability",
        "stack_blocks": stack_blocks,
        "metrics": {"oof_macro_f1": oof_f1, "oof_coverage": oof_cov},
    }
    return TriageModel(
        classes, featurizer, fitted, meta_W, meta_b, threshold, metadata, cert_W, cert_b, per_block=stack_blocks, train_hashes=text_hashes(texts)
    )
