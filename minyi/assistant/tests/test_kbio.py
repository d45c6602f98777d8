"""Import/export of the knowledge base (YAML, Markdown) and the load-kb command."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command

from minyi.assistant import kbio, services
from minyi.assistant.models import Card, Faq, Industry, Synonym

pytestmark = pytest.mark.usefixtures("kb")


def test_demo_kb_covers_13_industries_with_cards_materials_services_and_faqs() -> None:
    assert Industry.objects.count() == 13
    for industry in Industry.objects.all():
        assert Card.objects.filter(industry=industry).exists(), industry.name
        assert Faq.objects.filter(industry=industry).exists(), industry.name
    assert Card.objects.filter(kind=Card.Kind.SERVICE).count() >= 10
    for card in Card.objects.filter(kind=Card.Kind.POLICY):
        assert card.material_items(), card.slug
        assert all((card.office, card.phone, card.source_document, card.effective_from)), card.slug


def test_load_kb_is_idempotent() -> None:
    before = (Card.objects.count(), Faq.objects.count(), Synonym.objects.count(), Industry.objects.count())
    out = StringIO()
    call_command("assistant", "load-kb", stdout=out)
    assert "cards 新增0" in out.getvalue()
    assert (Card.objects.count(), Faq.objects.count(), Synonym.objects.count(), Industry.objects.count()) == before


def test_yaml_round_trip() -> None:
    text = kbio.export_yaml()
    Card.objects.filter(slug="health-clinic-filing").update(title="改过的标题", materials=[])
    kbio.import_text(text, "kb.yaml")
    card = Card.objects.get(slug="health-clinic-filing")
    assert card.title == "诊所备案（开办诊所）"
    assert card.material_items()[0]["name"] == "诊所备案信息表"
    assert yaml.safe_load(text)["synonyms"]["电瓶车"] == "电动自行车"


def test_markdown_round_trip_and_new_card() -> None:
    card = Card.objects.get(slug="transport-ebike-registration")
    text = kbio.export_markdown(card)
    assert "## 办理流程" in text
    new = text.replace("slug: transport-ebike-registration", "slug: transport-ebike-copy").replace(
        "## 收费标准\n\n号牌工本费免收。", "## 收费标准\n\n收费10元。"
    )
    kbio.import_text(new, "copy.md")
    copy = Card.objects.get(slug="transport-ebike-copy")
    assert copy.fees == "收费10元。"
    assert copy.procedure == card.procedure
    assert copy.materials == card.materials
    assert copy.expires_on is None
    assert copy.effective_from == card.effective_from


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("cards: [{slug: x}]", "a.yaml", "slug 和 title"),
        ("cards: [{slug: x, title: t, industry: nope}]", "a.yaml", "未知的行业类别"),
        ("cards: [{slug: x, title: t, expires_on: 明年}]", "a.yaml", "日期格式"),
        ("- just a list", "a.yaml", "顶层应为映射"),
        ("no front matter", "a.md", "YAML 头信息"),
        ("---\nslug: x\ntitle: t\n---\n## 奇怪小节\n内容", "a.md", "未知的 Markdown 小节"),
        ("x", "a.txt", "只支持"),
    ],
)
def test_bad_files_are_refused_in_chinese(text: str, name: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        kbio.import_text(text, name)


def test_cli_export_and_ask(tmp_path: Path) -> None:
    call_command("assistant", "export-kb", "--format", "md", "--out", str(tmp_path), stdout=StringIO())
    assert (tmp_path / "livelihood-dog-registration.md").exists()
    out = StringIO()
    call_command("assistant", "ask", "养犬登记要多少钱", stdout=out)
    assert "养犬登记费首年每只200元" in out.getvalue()
    assert "extractive" in out.getvalue()
    out = StringIO()
    call_command("assistant", "precheck", "transport-ebike-registration", "身份证.jpg", stdout=out)
    assert "购车发票" in out.getvalue()
    services.forget_indexes()
