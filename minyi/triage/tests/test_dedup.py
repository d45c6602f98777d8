from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minyi.triage.dedup import DuplicateIndex, DupRecord, find_duplicate_pairs, jaccard, shingles

A = "东湖街道西山小区门口的餐馆油烟直排，居民楼里全是油烟味，已经反映多次，希望尽快处理。"
A_EDIT = "东湖街道西山小区门口的餐馆油烟直排！居民楼里全是油烟味，已经反映多次，希望尽快处理！！"
B = "北站路公交车站台没有遮雨棚，下雨天等车的老人小孩全身湿透，建议增设雨棚。"
A_REWORDED = "西山小区门口那家餐馆的油烟一直直排，楼里全是油烟味，请环保部门管一管。"


def test_punctuation_only_edit_scores_one() -> None:
    assert jaccard(shingles(A), shingles(A_EDIT)) == 1.0
    assert jaccard(shingles(A), shingles(B)) < 0.1


def test_index_query_finds_duplicate_not_unrelated() -> None:
    idx = DuplicateIndex()
    idx.add(1, A)
    idx.add(2, B)
    res = idx.query(A_EDIT)
    assert res
    assert res[0][0] == 1
    assert res[0][1] >= 0.99
    assert all(i != 2 for i, _ in res)


def test_same_submitter_lowers_the_bar() -> None:
    idx = DuplicateIndex(text_threshold=0.8, related_threshold=0.1)
    idx.add("x", A, submitter="U1")
    assert idx.query(A_REWORDED) == []
    hits = idx.query_matches(A_REWORDED, submitter="U1")
    assert [m.id for m in hits] == ["x"]
    assert hits[0].reason == "submitter"


def test_same_place_respects_window() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    idx = DuplicateIndex(text_threshold=0.8, related_threshold=0.1, window=timedelta(days=7))
    idx.add("old", A, place="西山社区", at=t0)
    assert idx.query(A_REWORDED, place="西山社区", at=t0 + timedelta(days=3))
    assert idx.query(A_REWORDED, place="西山社区", at=t0 + timedelta(days=30)) == []


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DuplicateIndex().add(1, A, at=datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value is the point


def test_remove() -> None:
    idx = DuplicateIndex()
    idx.add(1, A, submitter="U1")
    idx.remove(1)
    assert idx.query(A, submitter="U1") == []
    assert len(idx) == 0


def test_batch_pairs() -> None:
    recs = [DupRecord(1, A), DupRecord(2, B), DupRecord(3, A_EDIT), DupRecord(4, B + "谢谢")]
    pairs = {(a, b) for a, b, _, _ in find_duplicate_pairs(recs)}
    assert pairs == {(1, 3), (2, 4)}
