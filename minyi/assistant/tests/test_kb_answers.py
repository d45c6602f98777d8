"""The demo knowledge base: paraphrases, colloquial terms, not-in-KB, expiry, honest citations."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from minyi.assistant import services
from minyi.assistant.answer import NOT_FOUND_TEXT
from minyi.assistant.models import AskLog, Card, Faq, Synonym
from minyi.assistant.retrieval import Doc
from minyi.workflow.calendar import SHANGHAI

pytestmark = pytest.mark.usefixtures("kb")

PARAPHRASES = [
    ("电瓶车上牌要带啥", "card:transport-ebike-registration", "materials"),
    ("小电驴怎么挂牌", "card:transport-ebike-registration", None),
    ("我家养了条狗要去哪里登记", "card:livelihood-dog-registration", "office"),
    ("养狗证一年多少钱", "card:livelihood-dog-registration", "fees"),
    ("开饭店要准备哪些材料", "card:catering-food-license", "materials"),
    ("开个小卖部要办许可证吗", "card:retail-convenience-store", None),
    ("暂住证怎么办", "card:livelihood-residence-permit", "procedure"),
    ("居住证丢了补办要钱吗", "card:livelihood-residence-permit", "fees"),
    ("租房可以取公积金吗", "card:livelihood-housing-fund-withdrawal", None),
    ("创业贷最多能贷多少", "card:finance-startup-guarantee-loan", None),
    ("开诊所需要什么条件", "card:health-clinic-filing", "conditions"),
    ("诊所备案要多久", "card:health-clinic-filing", "time_limit"),
    ("几点可以扔垃圾", "faq:faq-garbage-sorting-times", "answer"),
    ("电动车能推进楼道充电吗", "faq:faq-ebike-charging", "answer"),
    ("高企认定有奖励吗", "card:technology-high-tech-award", None),
    ("开演唱会要审批吗", "card:culture-performance-license", None),
]


@pytest.mark.parametrize(("question", "key", "field"), PARAPHRASES)
def test_paraphrases_and_colloquial_terms_find_the_right_card(question: str, key: str, field: str | None) -> None:
    answer = services.answer_question(question)
    assert answer.found, question
    assert answer.sources[0] == key
    assert answer.citations[0].key == key
    if field:
        assert field in {c.field for c in answer.citations}


def test_amount_question_quotes_the_sentence_with_the_sum() -> None:
    answer = services.answer_question("创业贷最多能贷多少")
    assert "个人最高30万元" in answer.citations[0].quotes[0]


def test_materials_answer_lists_the_one_time_notice() -> None:
    answer = services.answer_question("电瓶车上牌要带啥")
    assert len(answer.citations) == 1  # the whole list is one citation of one field
    assert len(answer.citations[0].quotes) == 4
    assert answer.materials == ["车辆所有人居民身份证（原件）", "购车发票（原件）", "产品合格证", "居住证（非本市户籍人员提供）（如有）"]


NOT_IN_KB = [
    "养狗证丢了怎么补办",  # the dog card says nothing about replacing a lost licence
    "电动自行车登记点周末上班吗",  # opening hours are in no card
    "明湖区的房价多少",  # loosely related to the talent-apartment card, but not answered by it
    "火星移民怎么申请",
    "诊所可以卖保健品吗",
]


@pytest.mark.parametrize("question", NOT_IN_KB)
def test_question_not_answered_by_any_card_says_so(question: str) -> None:
    answer = services.answer_question(question)
    assert not answer.found
    assert answer.text == NOT_FOUND_TEXT
    assert answer.citations == []


def test_asking_a_field_the_card_lacks_is_not_in_the_kb() -> None:
    card = Card.objects.get(slug="livelihood-dog-registration")
    card.fees = ""
    card.save()
    assert services.answer_question("养犬登记要多少钱").found is False
    assert services.answer_question("养犬登记要带什么材料").found is True


def test_expired_card_is_never_cited() -> None:
    # The bundled 2024 job-retention card expired on 2025-01-01.
    answer = services.answer_question("稳岗返还怎么申请")
    assert "card:employment-stable-jobs-2024" not in {c.key for c in answer.citations}
    assert not answer.found


def test_card_expires_at_midnight_of_its_expiry_date() -> None:
    Card.objects.filter(slug="livelihood-dog-registration").update(expires_on=dt.date(2026, 3, 3))
    assert services.answer_question("养犬登记要多少钱").sources == ["card:livelihood-dog-registration"]
    with time_machine.travel(dt.datetime(2026, 3, 3, 0, 1, tzinfo=SHANGHAI), tick=False):
        for question in ("养犬登记要多少钱", "养狗要办证吗", "养犬登记证"):
            answer = services.answer_question(question)
            assert all(c.key != "card:livelihood-dog-registration" for c in answer.citations)


def test_unpublished_and_not_yet_effective_cards_are_not_served() -> None:
    Card.objects.filter(slug="health-clinic-filing").update(effective_from=dt.date(2026, 4, 1))
    Card.objects.filter(slug="livelihood-residence-permit").update(published=False)
    assert "card:health-clinic-filing" not in services.answer_question("诊所备案要多久").sources
    assert "card:livelihood-residence-permit" not in services.answer_question("暂住证怎么办").sources


def _field_text(key: str, field: str) -> str:
    kind, slug = key.split(":", 1)
    doc: Doc = services.card_doc(Card.objects.get(slug=slug)) if kind == "card" else services.faq_doc(Faq.objects.get(slug=slug))
    return doc.field_text(field)


@pytest.mark.parametrize("question", [q for q, _k, _f in PARAPHRASES])
def test_every_citation_points_to_text_that_contains_the_quote(question: str, client) -> None:  # type: ignore[no-untyped-def]
    answer = services.answer_question(question)
    assert answer.citations
    for citation in answer.citations:
        for quote in citation.quotes:
            assert quote in _field_text(citation.key, citation.field)
        page = client.get(citation.url)
        assert page.status_code == 200
        assert f'id="{citation.field}"' in page.content.decode()
    assert sorted({n for _q, n in answer.segments}) == [c.n for c in answer.citations]
    assert [q for q, _n in answer.segments] == [q for c in answer.citations for q in c.quotes]


def test_admin_synonym_extends_retrieval() -> None:
    assert not services.answer_question("铁马怎么上牌").found
    Synonym.objects.create(term="铁马", canonical="电动自行车")
    assert services.answer_question("铁马怎么上牌").sources[0] == "card:transport-ebike-registration"


def test_ask_records_engine_and_citations(frozen: dt.datetime) -> None:
    answer = services.ask("电瓶车上牌要带啥", where="web")
    row = AskLog.objects.get()
    assert row.engine == "extractive" == answer.engine
    assert row.found
    assert row.created_at == frozen
    assert row.citations[0]["key"] == "card:transport-ebike-registration"


def test_empty_and_too_long_questions_are_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="请输入"):
        services.ask("  ")
    with pytest.raises(ValidationError, match="太长"):
        services.ask("问" * 501)
