"""Refuse oversized or unreadable requests before anyone reads their body.

First in ``MIDDLEWARE``: it looks only at the headers and the query string, so a 300 MB
upload is answered with 413 while its body is still unread in the socket (Django's own
``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts form fields only after parsing has begun, and file
parts stream to disk whatever their size).

* ``Content-Length`` over the path's cap → 413. Upload pages get the larger cap.
* A body without ``Content-Length`` (``Transfer-Encoding: chunked``) → 411: Django would read
  it as empty, and a cap cannot be checked in advance.
* A malformed ``Content-Length`` → 400.
* NUL characters in the path, the query string or a form's fields → 400:
  PostgreSQL can neither store nor compare text containing them, and several views read
  ``request.POST`` directly rather than through a form (whose ``CharField`` refuses NUL).
  Form bodies are parsed here only after the length check; JSON bodies are left to the
  API's schemas (``minyi.api.schemas.Text``).

Answers under ``/api/`` use the API's error shape (``minyi.api.errors``).

Setting ``MINYI_BODY_LIMITS``: ``default`` and ``upload`` (bytes), ``upload_paths`` (prefixes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

MB = 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DEFAULTS: dict[str, Any] = {
    "default": 4 * MB,
    "upload": 60 * MB,  # five attachments of 10 MB and the form around them
    "upload_paths": ("/portal/", "/q/", "/appeals/", "/desk/intake", "/assistant/", "/admin/"),  # /q/: reports from a point code
    "batch": 10 * MB,  # about 1,000 appeals of 1,000 characters; Django reads no more (DATA_UPLOAD_MAX_MEMORY_SIZE)
    "batch_paths": ("/api/v1/appeals:batch",),
}


def limits() -> dict[str, Any]:
    return {**DEFAULTS, **(getattr(settings, "MINYI_BODY_LIMITS", None) or {})}


def cap_for(path: str) -> int:
    conf = limits()
    if path.startswith(tuple(conf["batch_paths"])):
        return int(conf["batch"])
    return int(conf["upload"] if path.startswith(tuple(conf["upload_paths"])) else conf["default"])


def _has_nul(items: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in items)


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path or _has_nul(request.GET.lists()):
            return self._answer(request, 400, "bad_request", _("请求地址含有空字符（NUL），无法处理。"), "The URL contains a NUL character")
        if too_big := self._length_refusal(request):
            return too_big
        # Form fields only (file names need no check: Django's multipart parser drops non-printable characters).
        is_form = request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_TYPES
        if is_form and _has_nul(request.POST.lists()):
            return self._answer(request, 400, "bad_request", _("提交的内容含有空字符（NUL），无法保存；请删除后重试。"), "A field contains a NUL character")
        return None

    def _length_refusal(self, request: HttpRequest) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw:
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return self._answer(request, 411, "length_required", _("请求须注明内容长度（Content-Length），不接受分块传输。"), "Content-Length is required")
            return None
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return self._answer(request, 400, "bad_request", _("请求的内容长度（Content-Length）无效。"), "Invalid Content-Length")
        cap = cap_for(request.path)
        if length > cap:
            message = _("提交的内容过大（%(size)s MB），上限 %(cap)s MB；请减少或压缩附件后重试。") % {
                "size": f"{length / MB:.1f}",
                "cap": f"{cap / MB:.0f}",
            }
            return self._answer(request, 413, "payload_too_large", message, "The request body is too large")
        return None

    def _answer(self, request: HttpRequest, status: int, code: str, message: str, message_en: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            payload = {"code": code, "message": message, "message_en": message_en, "fields": {}}
            return HttpResponse(json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
