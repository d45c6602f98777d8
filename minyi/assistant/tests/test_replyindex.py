"""The past-replies index: fused views, identical replies collapsed, append-only blocks, the re-ranker."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from minyi.assistant import hashview, replyindex, rerank
from minyi.assistant.replyindex import ReplyIndex, char_grams

PLACES = ["明湖路", "湖滨村", "东门街", "西园小区", "南塘社区", "北苑大道", "青石桥", "柳岸花园"]
TOPICS = [
    ("路灯不亮", "路灯线路已修复，路灯恢复照明"),
    ("垃圾清运不及时", "环卫车辆已每日清运两次"),
    ("夜间施工噪音扰民", "施工单位已停止夜间施工"),
    ("下水道堵塞", "市政养护队已疏通管道"),
    ("违章搭建", "城管已责令当事人限期拆除"),
    ("占道经营", "城管已劝离流动摊贩并加强巡查"),
]


def archive() -> list[tuple[str, str]]:
    """(appeal, reply) pairs of a made-up district: every place × topic, replies naming both."""
    out = []
    for place in PLACES:
        for topic, done in TOPICS:
            appeal = f"{place}{topic}\n{place}附近{topic}，已经好几天了，请有关部门尽快处理。"
            reply = f"您好！您反映的“{place}{topic}”问题已收悉。经核实，{place}{done}。感谢您的监督！"
            out.append((appeal, reply))
    return out


def test_char_grams() -> None:
    assert char_grams("路灯 A2区") == ["路灯", "a2", "2区", "a2区"]


def test_finds_the_own_reply_and_collapses_identical_replies() -> None:
    index = ReplyIndex()
    pairs = archive()
    for i, (_a, reply) in enumerate(pairs):
        index.add(i, reply)
    index.add(1000, "网友：您好！留言已收悉。")
    index.add(1001, "网友：您好！留言已收悉。")
    hits = index.search(pairs[5][0], k=3)
    assert hits[0][0] == 5
    keys = [k for k, _s in index.search("网友您好 留言已收悉", k=10)]
    assert len({1000, 1001} & set(keys)) == 1  # one of the two identical replies, not both


def test_adding_appends_and_never_retokenises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashview, "BLOCK", 4)
    index = ReplyIndex()
    pairs = archive()
    calls: list[str] = []
    tokenize = index.char.tokenize
    index.char.tokenize = lambda t: calls.append(t) or tokenize(t)  # type: ignore[func-returns-value]
    for i, (_a, reply) in enumerate(pairs[:20]):
        index.add(i, reply)
    for i, (_a, reply) in enumerate(pairs[20:], start=20):
        index.add(i, reply)
    assert len(calls) == len(pairs)  # each reply tokenised once, when added
    sizes = [b[0].shape[0] for b in index.char.sealed]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 16  # four blocks of 4 merged into one of 16
    assert sum(sizes) + len(index.char._open) == len(pairs) == len(index)
    # A reply in a merged block, one in a small block and one in the open block are all found.
    for target in (2, 17, len(pairs) - 1):
        assert index.search(pairs[target][0], k=1)[0][0] == target


def test_reranker_is_fitted_on_the_archive_and_ranks_the_own_reply_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rerank, "MIN_QUERIES", 10)
    pairs = archive()
    rng = random.Random(0)
    index = ReplyIndex()
    for i, (_a, reply) in enumerate(pairs):
        index.add(i, reply)
    train = rng.sample(range(len(pairs)), 30)
    model: Any = replyindex.fit_reranker(index, [pairs[i][0] for i in train], train)
    assert model is not None
    index.reranker = model
    test = [i for i in range(len(pairs)) if i not in train]
    top1 = sum(index.search(pairs[i][0], k=1)[0][0] == i for i in test)
    assert top1 / len(test) >= 0.9


def test_too_small_an_archive_keeps_the_fused_order() -> None:
    index = ReplyIndex()
    index.add(1, "路灯已修复。")
    assert replyindex.fit_reranker(index, ["路灯不亮"], [0]) is None


def test_precedents_lend_their_replies_but_never_score_their_own() -> None:
    index = ReplyIndex()
    pairs = archive()
    for i, (appeal, reply) in enumerate(pairs):
        index.add(i, reply, appeal)
    query = pairs[0][0]
    top, w = index.precedents(query)
    assert top[0] == 0 and abs(float(w.sum()) - 1.0) < 1e-9  # the query's twin appeal leads
    hidden = np.zeros(len(index), dtype=bool)
    hidden[0] = True
    top_hidden, _w = index.precedents(query, hidden)
    assert 0 not in top_hidden.tolist()  # a hidden (held-out) appeal is never a precedent
    scores = index.precedent_scores(query, hidden)
    # Replies on the same place or topic resemble the precedents' replies; the rest do not.
    near = [i for i in range(1, len(pairs)) if i % len(TOPICS) == 0 or i < len(TOPICS)]
    other = [i for i in range(1, len(pairs)) if i not in near]
    assert np.mean(scores[near]) > 1.2 * np.mean(scores[other])
    # Without the self-exclusion the precedent's own reply would score its full self-similarity.
    alone = ReplyIndex()
    alone.add(0, pairs[0][1], pairs[0][0])
    assert abs(alone.precedent_scores(query)[0]) < 1e-6


def test_dense_vectors_may_arrive_after_the_row() -> None:
    index = ReplyIndex()
    index.add(1, "路灯已修复。", "路灯不亮")
    index.add(2, "垃圾已清运。", "垃圾没人清")
    assert index.n_vectors == 0 and not index.dense_scores(np.ones(4, dtype=np.float32)).any()
    a = np.zeros(replyindex.DIM, dtype=np.float32)
    a[0] = 1.0
    b = np.zeros(replyindex.DIM, dtype=np.float32)
    b[1] = 1.0
    index.set_vector(1, b)
    index.set_vector(0, a)
    index.set_vector(0, a)  # again: counted once
    assert index.n_vectors == 2 and index.has_vector(0) and index.has_vector(1)
    assert index.dense_scores(b).tolist() == [0.0, 1.0]
    hits = index.search("随便问问", k=2, query_vector=b)
    assert hits[0][0] == 2  # no shared words: the dense view decides


def test_fit_of_a_draft_reply_prefers_the_appeals_own_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rerank, "MIN_QUERIES", 10)
    pairs = archive()
    index = ReplyIndex()
    for i, (appeal, reply) in enumerate(pairs):
        index.add(i, reply, appeal)
    assert index.fit_of(pairs[0][0], pairs[0][1]) is None  # no re-ranker yet: no judgement
    index.reranker = replyindex.fit_reranker(index, [a for a, _r in pairs], list(range(len(pairs))))
    assert index.reranker is not None
    appeal = pairs[7][0]  # 湖滨村 垃圾清运不及时
    own = index.fit_of(appeal, pairs[7][1])
    slip = index.fit_of(appeal, pairs[13][1])  # the same topic at 东门街: a copy-paste slip
    fresh = index.fit_of(appeal, "您好！您反映的湖滨村垃圾清运不及时问题已收悉。经核实，湖滨村环卫车辆已每日清运两次。感谢您的监督！")
    assert own is not None and slip is not None and fresh is not None
    assert own > 0.5 > slip
    assert fresh > slip  # a new draft (not archived) that answers this appeal
    assert index.fit_of(appeal, "   ") is None
