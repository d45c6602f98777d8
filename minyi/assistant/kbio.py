"""Import and export of the knowledge base as YAML or Markdown files.

YAML: one file may hold ``industries``, ``synonyms``, ``cards`` and ``faqs`` (see kb/*.yaml).
Markdown: one card per file — YAML front matter for the structured fields, then ``## 申请条件``,
``## 办理流程``, ``## 办理时限``, ``## 收费标准`` and ``## 简介`` sections. Imports are upserts
keyed by slug, so loading the same files twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from minyi.assistant.models import Card, Faq, Industry, Synonym

KB_DIR = Path(__file__).resolve().parent / "kb"
CARD_FIELDS = (
    "kind", "title", "audience", "summary", "conditions", "materials", "procedure", "time_limit", "fees",
    "office", "address", "phone", "source_document", "effective_from", "expires_on", "published",
)  # fmt: skip
MD_SECTIONS = {"summary": "简介", "conditions": "申请条件", "procedure": "办理流程", "time_limit": "办理时限", "fees": "收费标准"}
_MD_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_MD_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.M)


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: {"industries": 0, "synonyms": 0, "cards": 0, "faqs": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"industries": 0, "synonyms": 0, "cards": 0, "faqs": 0})

    def count(self, what: str, created: bool) -> None:
        (self.created if created else self.updated)[what] += 1

    def summary(self) -> str:
        return "，".join(f"{k} 新增{self.created[k]} 更新{self.updated[k]}" for k in self.created)


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(f"{name} 日期格式应为 YYYY-MM-DD：{value}") from exc


def _materials(raw: Any) -> list[dict[str, Any]]:
    out = []
    for item in raw or []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise ValidationError(f"材料清单每项需要 name：{item!r}")
        out.append(
            {
                "name": str(item["name"]).strip(),
                "required": bool(item.get("required", True)),
                "note": str(item.get("note", "") or "").strip(),
                "keywords": [str(k) for k in item.get("keywords", []) or []],
            }
        )
    return out


def _industry(code: Any) -> Industry | None:
    if not code:
        return None
    found = Industry.objects.filter(code=str(code)).first()
    if found is None:
        raise ValidationError(f"未知的行业类别编码：{code}")
    return found


def _upsert_card(data: dict[str, Any], result: ImportResult) -> Card:
    slug = str(data.get("slug", "")).strip()
    if not slug or not str(data.get("title", "")).strip():
        raise ValidationError(f"明白卡需要 slug 和 title：{data!r:.80}")
    values: dict[str, Any] = {}
    for name in CARD_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "materials":
            value = _materials(value)
        elif name in ("effective_from", "expires_on"):
            value = _date(value, name)
        elif name == "published":
            value = bool(value)
        elif value is None:
            value = ""
        else:
            value = str(value).strip()
        values[name] = value
    if "industry" in data:
        values["industry"] = _industry(data["industry"])
    card, created = Card.objects.update_or_create(slug=slug, defaults=values)
    card.full_clean(validate_unique=False)
    result.count("cards", created)
    return card


def _upsert_faq(data: dict[str, Any], result: ImportResult) -> Faq:
    slug = str(data.get("slug", "")).strip()
    if not slug or not str(data.get("question", "")).strip() or not str(data.get("answer", "")).strip():
        raise ValidationError(f"常见问题需要 slug、question 和 answer：{data!r:.80}")
    alts = data.get("alt_questions") or []
    values: dict[str, Any] = {
        "question": str(data["question"]).strip(),
        "answer": str(data["answer"]).strip(),
        "alt_questions": "\n".join(alts) if isinstance(alts, list) else str(alts),
        "industry": _industry(data.get("industry")),
        "card": Card.objects.filter(slug=data["card"]).first() if data.get("card") else None,
        "expires_on": _date(data.get("expires_on"), "expires_on"),
    }
    if "status" in data:
        values["status"] = str(data["status"])
    faq, created = Faq.objects.update_or_create(slug=slug, defaults=values)
    result.count("faqs", created)
    return faq


def import_data(data: dict[str, Any], result: ImportResult | None = None) -> ImportResult:
    """Upsert one parsed YAML document. Order: industries, synonyms, cards, then FAQs (which may name a card)."""
    result = result or ImportResult()
    if not isinstance(data, dict):
        raise ValidationError("知识库文件顶层应为映射（industries / synonyms / cards / faqs）")
    for item in data.get("industries") or []:
        _obj, created = Industry.objects.update_or_create(code=str(item["code"]), defaults={"name": str(item["name"]), "sort": int(item.get("sort", 100))})
        result.count("industries", created)
    for term, canonical in (data.get("synonyms") or {}).items():
        _syn, created = Synonym.objects.update_or_create(term=str(term), defaults={"canonical": str(canonical)})
        result.count("synonyms", created)
    for item in data.get("cards") or []:
        _upsert_card(item, result)
    for item in data.get("faqs") or []:
        _upsert_faq(item, result)
    return result


def parse_markdown(text: str) -> dict[str, Any]:
    """One Markdown card → a dict of card fields."""
    m = _MD_FRONT.match(text.lstrip("\ufeff"))
    if not m:
        raise ValidationError("Markdown 明白卡应以 --- 包围的 YAML 头信息开始")
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValidationError("Markdown 头信息应为映射")
    by_label = {label: name for name, label in MD_SECTIONS.items()}
    parts = _MD_HEADING.split(m.group(2))
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        name = by_label.get(heading.strip())
        if name is None:
            raise ValidationError(f"未知的 Markdown 小节：{heading}")
        meta[name] = body.strip()
    return meta


@transaction.atomic
def import_text(text: str, filename: str) -> ImportResult:
    """Import one uploaded or on-disk file (.yaml/.yml or .md)."""
    if filename.endswith((".md", ".markdown")):
        data = {"cards": [parse_markdown(text)]}
    elif filename.endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ValidationError(f"{filename} 不是合法的 YAML：{exc}") from exc
    else:
        raise ValidationError(f"只支持 .yaml/.yml/.md 文件：{filename}")
    return import_data(data)


@transaction.atomic
def load_dir(path: Path = KB_DIR) -> ImportResult:
    """Load every .yaml/.md file of a directory (or one file), in name order. Idempotent."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml", ".md"})
    result = ImportResult()
    for p in files:
        one = import_text(p.read_text(encoding="utf-8"), p.name)
        for k in result.created:
            result.created[k] += one.created[k]
            result.updated[k] += one.updated[k]
    return result


def card_dict(card: Card) -> dict[str, Any]:
    data: dict[str, Any] = {"slug": card.slug, "industry": card.industry.code if card.industry else None}
    for name in CARD_FIELDS:
        value = getattr(card, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def faq_dict(faq: Faq) -> dict[str, Any]:
    return {
        "slug": faq.slug,
        "industry": faq.industry.code if faq.industry else None,
        "card": faq.card.slug if faq.card else None,
        "question": faq.question,
        "alt_questions": [q for q in faq.alt_questions.splitlines() if q.strip()],
        "answer": faq.answer,
        "status": faq.status,
        "expires_on": faq.expires_on.isoformat() if faq.expires_on else None,
    }


def export_yaml(cards: Any = None, faqs: Any = None, everything: bool = True) -> str:
    data: dict[str, Any] = {}
    if everything:
        data["industries"] = [{"code": i.code, "name": i.name, "sort": i.sort} for i in Industry.objects.all()]
        data["synonyms"] = {s.term: s.canonical for s in Synonym.objects.all()}
    data["cards"] = [card_dict(c) for c in (cards if cards is not None else Card.objects.select_related("industry"))]
    data["faqs"] = [faq_dict(f) for f in (faqs if faqs is not None else Faq.objects.select_related("industry", "card"))]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


def export_markdown(card: Card) -> str:
    meta = card_dict(card)
    body = [f"## {label}\n\n{meta.pop(name) or ''}\n" for name, label in MD_SECTIONS.items()]
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=200)
    return f"---\n{head}---\n\n" + "\n".join(body)
