"""Answer engines. The extractive engine is the default: it only quotes the cards' own sentences.

Every ``Answer`` says which engine produced it (``engine``) and, when an optional engine
failed and the extractive one stood in, why (``fallback_reason``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from minyi.assistant.retrieval import ASPECTS, FIELD_LABELS, MONEY, Doc, Hit, KnowledgeIndex, Query, sentence_score, split_field

NOT_FOUND_TEXT = "知识库中没有找到这个问题的答案。您可以换个说法再问，或直接提交诉求，由工作人员为您解答。"
MIN_COVERAGE = 0.72
SECOND_SOURCE_RATIO = 0.85
BODY_FIELDS = ("summary", "conditions", "procedure", "time_limit", "fees", "answer")


@dataclass
class Citation:
    n: int
    key: str
    title: str
    url: str
    field: str
    field_label: str
    quotes: list[str]  # verbatim sentences of that field, in answer order

    @property
    def href(self) -> str:
        return f"{self.url}#{self.field}"


def cite(citations: list[Citation], doc: Doc, fname: str, sentence: str) -> int:
    """One citation per (document, field); a second sentence of the same field shares its number."""
    for c in citations:
        if c.key == doc.key and c.field == fname:
            if sentence not in c.quotes:
                c.quotes.append(sentence)
            return c.n
    n = len(citations) + 1
    citations.append(Citation(n, doc.key, doc.title, doc.url, fname, FIELD_LABELS.get(fname, fname), [sentence]))
    return n


@dataclass
class Answer:
    question: str
    found: bool
    engine: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    segments: list[tuple[str, int]] = field(default_factory=list)  # (quoted sentence, citation number)
    materials: list[str] = field(default_factory=list)  # one-time notice list of the main card
    sources: list[str] = field(default_factory=list)  # doc keys
    fallback_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [{**asdict(c), "href": c.href} for c in self.citations]
        data["segments"] = [{"quote": q, "citation": n} for q, n in self.segments]
        return data


class AnswerEngine(Protocol):
    name: str

    def answer(self, question: str, query: Query, hits: list[Hit], kb: KnowledgeIndex) -> Answer: ...


def not_found(question: str, engine: str, reason: str = "") -> Answer:
    return Answer(question=question, found=False, engine=engine, text=NOT_FOUND_TEXT, fallback_reason=reason)


def answerable(query: Query, hits: list[Hit], kb: KnowledgeIndex) -> list[Hit]:
    """The hits that really contain the answer: topic covered, and the asked-for fields present."""
    if not hits or not kb.topic_terms(query):
        return []
    good = []
    for hit in hits:
        if hit.coverage < MIN_COVERAGE:
            continue
        if query.aspects and not _has_aspect(hit.doc, query):
            continue
        good.append(hit)
    if not good:
        return []
    top = good[0].score
    terms = kb.topic_terms(query)
    second = [h for h in good[1:2] if h.score >= SECOND_SOURCE_RATIO * top and _title_mentions(h.doc, terms, kb)]
    return [good[0], *second]


def _has_aspect(doc: Doc, query: Query) -> bool:
    """A card answers "how much / how long / which materials" only if it has that field filled in;
    a FAQ only if its question asks the same kind of thing."""
    if doc.kind == "faq":
        asked = analyse_title(doc.title)
        return bool(set(asked) & set(query.aspects))
    for aspect in query.aspects:
        fields = ASPECTS[aspect][1]
        if fields and any(doc.field_text(f).strip() for f in fields):
            return True
        if not fields and any(MONEY.search(doc.field_text(f)) for f in BODY_FIELDS):
            return True
    return False


def analyse_title(title: str) -> list[str]:
    from minyi.assistant.retrieval import analyse

    return analyse(title).aspects


def _title_mentions(doc: Doc, terms: list[str], kb: KnowledgeIndex) -> bool:
    title = kb.synonyms.fold(" ".join([doc.title, *doc.aliases]).lower())
    return any(len(t) > 1 and t in title for t in terms)


def _quotes(doc: Doc, query: Query, kb: KnowledgeIndex) -> list[tuple[str, str]]:
    """(field, sentence) pairs to quote from one doc, most relevant first."""
    if doc.kind == "faq":
        return [("answer", s) for s in split_field(doc, "answer")[:3]]
    if query.aspects:
        out: list[tuple[str, str]] = []
        for aspect in query.aspects:
            for f in ASPECTS[aspect][1]:
                out.extend((f, s) for s in split_field(doc, f)[: 12 if f == "materials" else 3])
        if out:
            return out
    terms = kb.topic_terms(query)
    idf = kb.index.indexes["words"].idf_of
    money = "amount" in query.aspects
    scored = []
    for f in BODY_FIELDS:
        for pos, s in enumerate(split_field(doc, f)):
            score = sentence_score(s, terms, kb.synonyms, idf, doc.title) + (10.0 if money and MONEY.search(s) else 0.0)
            scored.append((score, -pos, f, s))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best = [(f, s) for score, _p, f, s in scored[:2] if score > 0]
    if not best:
        best = [("summary", s) for s in split_field(doc, "summary")[:1]]
    return best


class ExtractiveEngine:
    """Quotes sentences of the retrieved cards verbatim, each with a numbered citation."""

    name = "extractive"

    def answer(self, question: str, query: Query, hits: list[Hit], kb: KnowledgeIndex) -> Answer:
        sources = answerable(query, hits, kb)
        if not sources:
            return not_found(question, self.name)
        citations: list[Citation] = []
        segments: list[tuple[str, int]] = []
        for hit in sources:
            for fname, sentence in _quotes(hit.doc, query, kb):
                segments.append((sentence, cite(citations, hit.doc, fname, sentence)))
        if not segments:
            return not_found(question, self.name)
        main = sources[0].doc
        lines = [f"根据《{main.title}》："]
        lines.extend(f"{c.field_label}：“{'”“'.join(c.quotes)}”[{c.n}]" for c in citations)
        return Answer(
            question=question,
            found=True,
            engine=self.name,
            text="\n".join(lines),
            citations=citations,
            segments=segments,
            materials=split_field(main, "materials"),
            sources=[h.doc.key for h in sources],
        )
