"""``POST /api/v1/appeals:batch``: up to 1,000 appeals in one request, each with its own key and result.

For a platform catching up after an outage (an upstream's backlog, a spreadsheet of a
morning's calls): one round trip instead of a thousand. It is not a second intake path.
Each item goes through the same intake action as ``POST /appeals`` (one transaction, one
audit row, its AI suggestion in the outbox), so the batch is not atomic: item 7 failing
validation does not undo item 6. That is why every item must carry its own
``idempotency_key``: a client that lost the answer sends the whole batch again, the items
already stored answer 200 with the same appeal, and only the missing ones are created.

The answer is 200 with one result per item, in order:
``{"index", "idempotency_key", "status", "appeal" | null, "error" | null}``, where
``status`` is what ``POST /appeals`` would have answered for that item alone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import ValidationError as PydanticValidationError

from minyi.api import access
from minyi.api.errors import ERROR_RESPONSES, ApiError, ErrorOut, body
from minyi.api.schemas import AppealIn, AppealOut, Text
from minyi.api.v1 import _key, _shown, api, intake, need
from minyi.appeals.models import Appeal
from minyi.core.roles import roles_of
from minyi.workflow.machine import Event, TransitionError
from minyi.workflow.policy import may
from minyi.workflow.services import ActionForbidden

MAX_ITEMS = 1000


class BatchItemIn(AppealIn):
    idempotency_key: Text = Field(..., min_length=1, max_length=100, description="每件诉求各自的幂等键（必填）")


class BatchIn(Schema):
    # Items stay loose here and are validated one by one, so one bad item fails alone, with its own error.
    appeals: list[dict[str, Any]] = Field(..., min_length=1, max_length=MAX_ITEMS, description=f"诉求，1 至 {MAX_ITEMS} 件")


class BatchResultOut(Schema):
    index: int
    idempotency_key: str | None
    status: int
    appeal: AppealOut | None
    error: ErrorOut | None


class BatchOut(Schema):
    count: int
    created: int
    replayed: int
    failed: int
    results: list[BatchResultOut]


def _fields(exc: PydanticValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = ".".join(str(p) for p in error.get("loc", ())) or "__all__"
        fields.setdefault(loc, []).append(str(error.get("msg", "")))
    return fields


def _failure(index: int, key: str | None, status: int, error: dict[str, Any]) -> dict[str, Any]:
    return {"index": index, "idempotency_key": key, "status": status, "appeal": None, "error": error}


def _one(request: HttpRequest, user: Any, roles: Any, index: int, raw: dict[str, Any]) -> tuple[dict[str, Any], Appeal | None]:
    key = raw.get("idempotency_key") if isinstance(raw.get("idempotency_key"), str) else None
    try:
        item = BatchItemIn.model_validate(raw)
    except PydanticValidationError as exc:
        return _failure(index, key, 422, body("invalid_request", "该件诉求的字段无效", fields=_fields(exc))), None
    try:
        appeal, created = intake(request, user, roles, item, item.idempotency_key)
    except ApiError as exc:
        return _failure(index, key, exc.status, body(exc.code, exc.message, exc.message_en, exc.fields)), None
    except DjangoValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _failure(index, key, 422, body("invalid", "；".join(m for ms in fields.values() for m in ms), fields=fields)), None
    except TransitionError as exc:
        return _failure(index, key, 409, body(exc.code, exc.message)), None
    except ActionForbidden as exc:
        return _failure(index, key, 403, body("forbidden", exc.message)), None
    return {"index": index, "idempotency_key": key, "status": 201 if created else 200, "appeal": appeal, "error": None}, appeal


@api.post("/appeals:batch", response={200: BatchOut, **ERROR_RESPONSES}, tags=["appeals"], summary=f"批量登记诉求（每件各带幂等键，至多 {MAX_ITEMS} 件）")
def create_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    user = need(request, "appeals:write")
    roles = roles_of(user)
    if not may(roles, Event.REGISTER, own_department=False):
        raise ApiError(403, "forbidden", "您没有登记诉求的权限")
    results: list[dict[str, Any]] = []
    stored: list[Appeal] = []
    for index, raw in enumerate(payload.appeals):
        result, appeal = _one(request, user, roles, index, raw if isinstance(raw, dict) else {})
        results.append(result)
        if appeal is not None:
            stored.append(appeal)
    # Replays are read back as this caller may see them; the new ones are answered from memory.
    key = _key(request)
    if key is not None and access.key_sees_pii(key) and stored:  # one disclosure row for the batch
        access.record_disclosure(request, key, [a.number for a in stored], listing=True)
    for result in results:
        if result["appeal"] is not None:
            result["appeal"] = _shown(request, result["appeal"])
    created = sum(1 for r in results if r["status"] == 201)
    replayed = sum(1 for r in results if r["status"] == 200)
    return {"count": len(results), "created": created, "replayed": replayed, "failed": len(results) - created - replayed, "results": results}
