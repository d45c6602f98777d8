"""The audit administrator's page ``/audit/``: the security log, read-only, and "verify now".

Only 审计管理员 (Role.AUDITOR) may see it: 三员分立 keeps the system and security
administrators out of the log of their own actions. Everyone else gets 403, and the
refusal itself is logged (DENIED).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.audit.services import record_security_event
from minyi.audit.verify import verify
from minyi.core.roles import roles_of
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.policy import Role

PAGE = 50


def auditor_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.AUDITOR not in roles_of(request.user):
            record_security_event(SecurityKind.DENIED, request=request, target=request.path[:200], outcome="denied")
            raise PermissionDenied(gettext("只有审计管理员可以查看安全日志。"))
        return view(request, *args, **kwargs)

    return login_required(wrapped)


class LogFilter(forms.Form):
    kind = forms.ChoiceField(label=_("事件"), choices=[("", _("全部")), *SecurityKind.choices], required=False)
    user = forms.CharField(label=_("操作人"), max_length=150, required=False)
    ip = forms.CharField(label=_("来源地址"), max_length=45, required=False)
    start = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(gettext("起始日期不能晚于截止日期。"))
        return data

    def apply(self, events: QuerySet[SecurityEvent]) -> QuerySet[SecurityEvent]:
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["user"]:
            events = events.filter(actor_label__icontains=data["user"].strip())
        if data["ip"]:
            events = events.filter(ip__startswith=data["ip"].strip())
        if data["start"]:
            events = events.filter(at__gte=dt.datetime.combine(data["start"], dt.time.min, tzinfo=SHANGHAI))
        if data["end"]:
            events = events.filter(at__lt=dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI))
        return events


def _page(request: HttpRequest, report: Any = None) -> HttpResponse:
    form = LogFilter(request.GET or None)
    events = form.apply(SecurityEvent.objects.order_by("-at", "-id")) if request.GET else SecurityEvent.objects.order_by("-at", "-id")
    page = Paginator(events, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query.urlencode(), "report": report, "now": timezone.now()},
    )


@require_GET
@auditor_only
def security_log(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@auditor_only
def verify_now(request: HttpRequest) -> HttpResponse:
    """Seal what is final, recompute every chain, and show the result above the log."""
    return _page(request, verify())
