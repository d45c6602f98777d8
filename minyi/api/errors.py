"""One error shape for every API failure: a stable code, a Chinese and an English message.

    {"code": "department_given", "message": "必须选择承办部门", "message_en": "…", "fields": {}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from minyi.api.keys import RateLimited
from minyi.workflow.machine import TransitionError
from minyi.workflow.services import ActionForbidden


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str
    fields: dict[str, list[str]] = {}


# English for the codes a client will meet; the Chinese message stays the authority.
ENGLISH = {
    "unauthorized": "Authentication required: send an API key in X-API-Key or log in",
    "forbidden": "You are not allowed to do this",
    "scope_missing": "This API key lacks the scope for this operation",
    "not_found": "Not found",
    "invalid": "Some fields are invalid",
    "invalid_request": "The request could not be parsed or failed validation",
    "rate_limited": "Too many requests for this API key; retry later",
    "bad_keys_limited": "Too many invalid API keys from this address; retry later",
    "otp_required": "Complete the TOTP second factor first",
    "password_change_required": "Change your password first",
    "separated_role": "Security and audit administrators may not use the appeals API",
    "idempotency_conflict": "This Idempotency-Key was already used by this caller for a different request; use a new key",
    "not_allowed": "This action is not allowed in the appeal's current state",
    "reason_given": "A reason is required",
    "department_given": "A department is required",
    "department_changes": "Redispatch must choose another department",
    "reply_given": "A reply is required",
    "is_consultation": "Only consultations can be closed directly",
    "extension_days_valid": "Extension must be 1 to 30 working days",
    "extension_pending": "There is no pending extension request",
    "no_extension_pending": "An extension request is already pending",
    "satisfied": "Only a satisfied rating closes the appeal",
    "unsatisfied": "Only an unsatisfied rating reopens the appeal",
    "merge_target_open": "The merge target must be another open appeal",
}

ERROR_RESPONSES: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_en: str = "", fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.message_en = message_en or ENGLISH.get(code, "")
        self.fields = fields or {}


def body(code: str, message: str, message_en: str = "", fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en or ENGLISH.get(code, code.replace("_", " ")), "fields": fields or {}}


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, payload: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, payload, status=status)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, body(exc.code, exc.message, exc.message_en, exc.fields))

    @api.exception_handler(TransitionError)
    def _transition(request: HttpRequest, exc: TransitionError) -> HttpResponse:
        return respond(request, 409, body(exc.code, exc.message))

    @api.exception_handler(ActionForbidden)
    def _forbidden(request: HttpRequest, exc: ActionForbidden) -> HttpResponse:
        return respond(request, 403, body("forbidden", exc.message))

    @api.exception_handler(DjangoValidationError)
    def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(request, 422, body("invalid", "；".join(m for ms in fields.values() for m in ms), fields=fields))

    @api.exception_handler(NinjaValidationError)
    def _bad_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "payload", "data")]
            fields.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "")))
        return respond(request, 422, body("invalid_request", "请求格式不正确或字段无效", fields=fields))

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, body("unauthorized", "请提供有效的 API 密钥（X-API-Key）或先登录"))

    @api.exception_handler(RateLimited)
    def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        if exc.bad_keys:
            response = respond(request, 429, body("bad_keys_limited", f"无效的 API 密钥过多，请 {exc.retry_after} 秒后重试"))
        else:
            response = respond(request, 429, body("rate_limited", f"请求过于频繁，请 {exc.retry_after} 秒后重试"))
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, body("not_found", "未找到"))

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}.get(exc.status_code, "error")
        return respond(request, exc.status_code, body(code, str(exc.message)))
