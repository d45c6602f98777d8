"""The request being served, for signal receivers (role changes) that Django calls without one."""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("minyi_current_request", default=None)
