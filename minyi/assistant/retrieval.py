"""Hybrid retrieval over the knowledge base and the past-replies corpus.

Pure code: ``Doc`` is a plain snapshot of a card or FAQ, so the index can be built in
tests and benchmarks without a database. ``minyi.assistant.services`` builds the docs
from the models (servable ones only) and caches the index per knowledge-base version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minyi.assistant.bm25 import HybridIndex, View
from minyi.assistant.text import STOP_CHARS, SynonymMap, add_words, char_ngrams, char_set, normalize, sentences, words

FIELD_LABELS: dict[str, str] = {
    "summary": "简介",
    "conditions": "申请条件",
    "materials": "所需材料",
    "procedure": "办理流程",
    "time_limit": "办理时限",
    "fees": "收费标准",
    "office": "办理机构",
    "address": "办理地址",
    "phone": "咨询电话",
    "source_document": "政策依据",
    "question": "问题",
    "answer": "答案",
}

BODY_FIELDS_FOR_LLM = ("question", "answer", "summary", "conditions", "materials", "procedure", "time_limit", "fees", "office", "address", "phone")

# What the question asks about → the card fields that answer it. Cue words are not topic words.
ASPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "materials": (
        ("什么材料", "哪些材料", "材料", "带什么", "带啥", "准备什么", "准备啥", "资料", "证件", "提交什么", "要什么", "清单", "手续"),
        ("materials",),
    ),
    "fees": (("多少钱", "费用", "收费", "收钱", "免费", "交费", "缴费", "价格", "花钱", "要钱"), ("fees",)),
    "time_limit": (("多长时间", "多久", "几天", "多少天", "时限", "期限", "工作日", "多快", "什么时候能"), ("time_limit",)),
    "where": (("去哪里", "去哪儿", "在哪里", "在哪儿", "在哪", "哪里", "哪儿", "地址", "地点", "窗口"), ("office", "address")),
    "phone": (("电话", "联系方式", "号码", "热线"), ("phone",)),
    "conditions": (("什么条件", "条件", "资格", "符合", "谁可以", "能不能", "可不可以", "能否", "要求"), ("conditions",)),
    "procedure": (("流程", "步骤", "程序", "怎么办理", "如何办理", "怎么申请", "如何申请", "办理方式", "怎么办"), ("procedure",)),
    # Amounts live in prose; quote the sentences that name a sum of money.
    "amount": (("最多", "最高", "额度", "能贷多少", "补贴多少", "奖励多少", "多少万", "奖多少", "补多少", "给多少"), ()),
}
MONEY = re.compile(r"\d+(?:\.\d+)?\s*万?元")
_CUES = sorted(((cue, aspect) for aspect, (cues, _f) in ASPECTS.items() for cue in cues), key=lambda ca: len(ca[0]), reverse=True)


@dataclass
class Doc:
    """A servable knowledge item: a card (policy/service) or a published FAQ."""

    key: str  # "card:<slug>" or "faq:<slug>"
    kind: str  # policy | service | faq
    title: str
    url: str
    fields: dict[str, str]  # field name → text (materials rendered one item per line)
    materials: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    industry: str = ""

    def field_text(self, name: str) -> str:
        return self.fields.get(name, "")

    def search_text(self) -> str:
        head = " ".join([self.title, self.title, *self.aliases, *self.aliases])
        body = " ".join(v for k, v in self.fields.items() if k not in {"phone", "source_document"})
        return f"{head} {self.industry} {body}"

    def full_text(self) -> str:
        return " ".join([self.title, *self.aliases, *self.fields.values()])


def render_material(item: dict[str, Any]) -> str:
    name = str(item.get("name", "")).strip()
    note = str(item.get("note", "") or "").strip()
    text = f"{name}（{note}）" if note else name
    return text if item.get("required", True) else f"{text}（如有）"


@dataclass
class Hit:
    doc: Doc
    score: float
    coverage: float


@dataclass
class Query:
    text: str
    aspects: list[str]
    topic: str  # the question with cue words removed


def analyse(question: str) -> Query:
    text = normalize(question.strip())
    topic = text
    found: list[str] = []
    for cue, aspect in _CUES:  # longest cue first: "什么条件" wins over "要什么"
        if cue in topic:
            if aspect not in found:
                found.append(aspect)
            topic = topic.replace(cue, " ")
    return Query(text=text, aspects=found, topic=topic)


class KnowledgeIndex:
    """Hybrid index (BM25 words + BM25 char bigrams [+ dense]) over docs, with coverage checks."""

    def __init__(
        self,
        docs: Sequence[Doc],
        synonyms: SynonymMap,
        dense: Callable[[Sequence[str]], np.ndarray] | None = None,
    ) -> None:
        self.docs = list(docs)
        self.synonyms = synonyms
        add_words(d.title for d in self.docs)
        self.index = HybridIndex(
            views=[
                View("words", lambda t: words(t, synonyms), 0.6),
                View("chars", lambda t: char_ngrams(t, synonyms), 0.4),
            ],
            texts=[d.search_text() for d in self.docs],
            dense=dense,
        )
        self._folded = [synonyms.fold(normalize(d.full_text())) for d in self.docs]

    def topic_terms(self, query: Query) -> list[str]:
        return words(query.topic, self.synonyms)

    def coverage(self, terms: Sequence[str], doc_index: int) -> float:
        """IDF-weighted share of the question's topic terms that the document contains.

        A term counts fully when it appears verbatim (after synonym folding), partly by the share
        of its characters that appear. Terms absent from the whole knowledge base weigh the most,
        so a question about something no card mentions is not answered from a loosely related card.
        """
        if not terms:
            return 0.0
        text = self._folded[doc_index]
        chars = char_set(text)
        bm = self.index.indexes["words"]
        total = got = 0.0
        for t in terms:
            if t in bm.vocab:
                w = bm.idf_of(t)
                share = 1.0 if t in text else 0.5 * sum(ch in chars for ch in t) / len(t)
            else:
                # Unknown to the whole knowledge base, so the most specific term of all. Segmentation
                # may have glued a function char on ("家养"): judge what remains, verbatim only.
                core = "".join(ch for ch in t if ch not in STOP_CHARS) or t
                w = bm.max_idf * len(core) / len(t)
                share = 1.0 if core in text else 0.0
            if w >= 0.6 * bm.max_idf and share < 0.4 and (len(t) > 1 or t not in bm.vocab):
                return 0.0  # a specific term of the question is simply not there
            total += w
            got += w * share
        return got / total if total else 0.0

    def search(self, question: str, k: int = 5) -> tuple[Query, list[Hit]]:
        query = analyse(question)
        if not self.docs:
            return query, []
        terms = self.topic_terms(query)
        ranked = self.index.top(query.topic if terms else query.text, k=k)
        hits = [Hit(self.docs[i], score, self.coverage(terms, i)) for i, score in ranked]
        return query, hits


def split_field(doc: Doc, name: str) -> list[str]:
    if name in {"materials"}:
        return [line for line in doc.field_text(name).split("\n") if line.strip()]
    if name in {"office", "address", "phone", "source_document", "question"}:
        value = doc.field_text(name).strip()
        return [value] if value else []
    return sentences(doc.field_text(name))


def sentence_score(sentence: str, terms: Sequence[str], synonyms: SynonymMap, idf: Callable[[str], float], title: str = "") -> float:
    """IDF mass of the question's terms in the sentence; terms of the doc title count less (they name the topic)."""
    folded = synonyms.fold(normalize(sentence))
    folded_title = synonyms.fold(normalize(title))
    return sum(idf(t) * (0.3 if t in folded_title else 1.0) for t in set(terms) if t in folded)


_CLEAN = re.compile(r"\s+")


def squash(text: str) -> str:
    return _CLEAN.sub(" ", text).strip()
