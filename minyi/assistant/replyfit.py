"""Would this reply be found as this appeal's answer? ``fit_of`` for 答复质检 (minyi/replyqc).

A draft reply is not a row of the index, so it is scored here the way a row would be: each
lexical view against the appeal (the same query weights, the archive's IDF), the precedent view
(never from a precedent whose reply is this very text), the dense view (z-scored with the
archive's sample) and the dense precedent view. It then replaces any identical archived text in
the appeal's candidate pool and the re-ranker orders the pool: the draft's probability is the
answer. A reply copied from a similar case scores low when its own appeal fits it better.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from minyi.assistant.replyindex import POOL, BoolArray, Candidate, _rank

if TYPE_CHECKING:
    from minyi.assistant.replyindex import ReplyIndex, Scored


def fit_of(
    index: ReplyIndex,
    query: str,
    reply: str,
    hidden: BoolArray | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
    reply_vector: npt.NDArray[np.float32] | None = None,
) -> float | None:
    """P(``reply`` is the appeal's own answer); None without a fitted re-ranker or a reply."""
    if index.reranker is None or not len(index) or not reply.strip():
        return None
    scored = index.score(query, hidden)
    group = index._first.get(" ".join(reply.split()))
    views = _draft_views(index, query, reply, scored, group)
    dense = query_vector is not None and reply_vector is not None and index.n_vectors > 0
    cos = float(np.dot(query_vector, reply_vector)) if dense else 0.0  # type: ignore[arg-type]
    if dense:
        mean, sd = index.dense_stats(query_vector)  # type: ignore[arg-type]
        views["dense"] = (cos - mean) / sd
    else:
        views["dense"] = 0.0
    fused = sum(w * views[name] for name, w in index.weights.items() if w)
    pool = [c for c in index.candidates(query, query_vector=query_vector, scored=scored) if index.groups[c.row] != group][: POOL - 1]
    draft = Candidate(-1, -1, reply, float(fused), views, cos=cos)
    if dense:
        draft.dprec = float(index.dense_precedent(scored.pq, [group], np.asarray([reply_vector], dtype=np.float32))[0])
    pool = sorted([*pool, draft], key=lambda c: -c.fused)
    _rank(pool)
    p = index.reranker.order(index, query, pool)
    return float(p[pool.index(draft)])


def _draft_views(index: ReplyIndex, query: str, reply: str, scored: Scored, group: int | None) -> dict[str, float]:
    """The draft's lexical and precedent scores, as z-scores against the archive's."""
    head, _sep, body = query.strip().partition("\n")
    if body and index.title_boost > 1:
        query = "\n".join([head] * index.title_boost + [body])
    cc, _bm = index.char.score_text(index.char.counts(reply), index.char.counts(query))
    wc, wb = index.word.score_text(index.word.counts(reply), index.word.counts(query))
    prec = 0.0
    pq = scored.pq
    if pq is not None:
        row = index.char.unit_row(index.char.counts(reply))
        mine = np.asarray([row.get(c, 0.0) for c in pq.cols.tolist()])
        prec = float((mine * pq.vals).sum())
        for j, wj in zip(pq.top.tolist(), pq.w.tolist(), strict=True):
            if index.groups[j] == group:  # the reply is a precedent's own text: not scored from its appeal
                prec -= wj * float((mine * mine * pq.idf2).sum())
    raw = {"char": cc, "word": wc, "bm25w": wb, "prec": prec}
    out = {}
    for name, value in raw.items():
        arr = scored.views[name]
        sd = float(arr.std())
        out[name] = (value - float(arr.mean())) / sd if sd > 0 else 0.0
    return out
