"""Learning from the loop: harvest closed appeals; similar past replies for the handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from minyi.appeals.models import Appeal
from minyi.assistant import services
from minyi.assistant.models import Faq, PastReply
from minyi.workflow.machine import State

pytestmark = pytest.mark.usefixtures("kb")


def closed(appeal_in: Callable[..., Appeal], kind: str, title: str, content: str, reply: str, satisfaction: int | None) -> Appeal:
    appeal = appeal_in(State.CLOSED, kind=kind)
    # Test set-up only: give the closed appeal distinct text and a rating (status untouched).
    Appeal.objects.filter(pk=appeal.pk).update(title=title, content=content, reply_text=reply, satisfaction=satisfaction)
    appeal.refresh_from_db()
    return appeal


@pytest.fixture
def loop(appeal_in: Callable[..., Appeal]) -> dict[str, Appeal]:
    return {
        "consult": closed(appeal_in, "consult", "老年卡怎么办理", "老人70岁，电话13912345678，想办老年卡。", "可携带身份证到社区服务中心办理老年卡。", 5),
        "consult_bad": closed(appeal_in, "consult", "公交线路咨询", "想问公交线路。", "请查询公交APP。", 1),
        "noise": closed(
            appeal_in,
            "complaint",
            "湖滨花园夜间施工噪音扰民",
            "湖滨花园工地夜里十二点还在施工，噪音很大。",
            "经城管执法队查处，施工单位已停止夜间施工并作出承诺。",
            5,
        ),
        "lamp": closed(appeal_in, "complaint", "明湖路路灯不亮", "明湖路一段路灯一周不亮。", "已安排维修，路灯已恢复照明。", 4),
        "meh": closed(appeal_in, "complaint", "小区垃圾清运不及时", "垃圾桶满了没人清。", "已督促物业清运。", 3),
    }


def test_harvest_builds_faq_candidates_and_past_replies(loop: dict[str, Appeal]) -> None:
    result = services.harvest()
    assert result.faq_candidates == 1
    faq = Faq.objects.get(source_appeal=loop["consult"])
    assert faq.status == Faq.Status.CANDIDATE
    assert faq.question == "老年卡怎么办理"
    assert "13912345678" not in faq.alt_questions  # personal data masked
    numbers = set(PastReply.objects.values_list("number", flat=True))
    assert numbers == {loop["consult"].number, loop["noise"].number, loop["lamp"].number}
    assert result.past_replies == 3
    again = services.harvest()
    assert (again.faq_candidates, again.past_replies) == (0, 0)


def test_candidates_are_not_served_until_published(loop: dict[str, Appeal], people: dict[str, Any]) -> None:
    services.harvest()
    assert not services.answer_question("老年卡怎么办理").found
    faq = Faq.objects.get(source_appeal=loop["consult"])
    with pytest.raises(PermissionDenied):
        services.review_faq(faq, publish=True, by=people["handler"])
    services.review_faq(faq, publish=True, by=people["admin"])
    answer = services.answer_question("老年卡怎么办理")
    assert answer.found
    assert answer.citations[0].key == f"faq:{faq.slug}"


def test_similar_past_replies_for_the_handler(loop: dict[str, Appeal], appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    services.harvest()
    new = appeal_in(State.IN_PROGRESS)  # 区住建局 (zjj)
    Appeal.objects.filter(pk=new.pk).update(title="湖滨花园工地半夜施工", content="工地晚上十一点以后还在施工，吵得睡不着。")
    new.refresh_from_db()
    items = services.similar_for_appeal(new, by=people["handler"])
    assert items[0].past.number == loop["noise"].number
    assert "停止夜间施工" in items[0].past.reply_text
    assert all(i.past.appeal_id != new.pk for i in items)
    with pytest.raises(PermissionDenied):
        services.similar_for_appeal(new, by=people["other_handler"])  # 区城管局 cannot see a zjj appeal
    with pytest.raises(PermissionDenied):
        services.similar_for_appeal(new, by=people["nobody"])


def test_an_appeal_never_suggests_its_own_reply(loop: dict[str, Appeal], people: dict[str, Any]) -> None:
    services.harvest()
    items = services.similar_for_appeal(loop["noise"], by=people["admin"])
    assert loop["noise"].number not in {i.past.number for i in items}


def test_new_past_replies_are_appended_to_the_live_index(loop: dict[str, Appeal]) -> None:
    services.harvest()
    index = services.past_reply_index()
    size = len(index)
    lamp = PastReply.objects.get(appeal=loop["lamp"])
    PastReply.objects.create(
        appeal=loop["meh"], number=loop["meh"].number, title="小区垃圾清运不及时", content="垃圾桶满了没人清。", reply_text="已督促物业每日清运垃圾。"
    )
    again = services.past_reply_index()
    assert again is index and len(again) == size + 1  # appended, not rebuilt
    assert again.search("小区垃圾没人清运\n垃圾桶满了", k=1)[0][0] == PastReply.objects.get(appeal=loop["meh"]).pk
    lamp.reply_text = "路灯已修复。"
    lamp.save()
    assert services.past_reply_index() is not index  # an edited reply: rebuilt once
