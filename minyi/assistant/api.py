"""``/api/v1/assistant/…``: a django-ninja router, mounted by minyi.api with
``api.add_router("/assistant", assistant_router)``.

POST /ask       {"question": "..."} → answer with numbered citations, or found=false
POST /precheck  {"card": "<slug>", "files": ["身份证.jpg", ...]} → what is missing
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema

from minyi.api.errors import ERROR_RESPONSES, ApiError
from minyi.api.schemas import Text  # refuses NUL and lone surrogates: PostgreSQL cannot take them
from minyi.assistant import services
from minyi.assistant.models import Card

router = Router(tags=["assistant"])


class AskIn(Schema):
    question: Text


class CitationOut(Schema):
    n: int
    key: str
    title: str
    url: str
    href: str
    field: str
    field_label: str
    quotes: list[str]


class SegmentOut(Schema):
    quote: str
    citation: int


class AnswerOut(Schema):
    question: str
    found: bool
    engine: str
    text: str
    citations: list[CitationOut]
    segments: list[SegmentOut]
    materials: list[str]
    sources: list[str]
    fallback_reason: str


class PrecheckIn(Schema):
    card: Text
    files: list[Text]


class MatchOut(Schema):
    material: str
    file: str


class PrecheckOut(Schema):
    complete: bool
    message: str
    matched: list[MatchOut]
    missing: list[str]
    optional_missing: list[str]
    unused: list[str]


@router.post("/ask", response={200: AnswerOut, **ERROR_RESPONSES}, summary="向小惠提问 / Ask the assistant")
def ask(request: HttpRequest, payload: AskIn) -> dict[str, object]:
    try:
        answer = services.ask(payload.question, by=request.user, where="api")
    except ValidationError as exc:
        raise ApiError(422, "invalid", exc.messages[0]) from exc
    return answer.as_dict()


@router.post("/precheck", response={200: PrecheckOut, **ERROR_RESPONSES}, summary="材料预审 / Check uploaded materials against a card")
def precheck(request: HttpRequest, payload: PrecheckIn) -> dict[str, object]:
    if len(payload.files) > 30:
        raise ApiError(422, "too_many_files", "一次最多预审30个文件。")
    try:
        _card, result = services.precheck_card(payload.card, payload.files)
    except Card.DoesNotExist as exc:
        raise ApiError(404, "not_found", "明白卡不存在或已失效") from exc
    return result.as_dict()
