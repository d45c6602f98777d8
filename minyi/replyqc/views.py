"""Pages of 答复质检: the check fragment (handler, before submitting) and the supervisor's board."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from minyi.appeals.queries import visible_to
from minyi.replyqc import services

MAX_REPLY = 20000


@login_required
@require_POST
def check(request: HttpRequest, number: str) -> HttpResponse:
    """Fragment: the check of the reply the handler is writing (``reply`` in the POST body). Records nothing."""
    appeal = visible_to(request.user).filter(number=number).first()
    if appeal is None:
        raise Http404(gettext("诉求不存在或无权查看"))
    reply = request.POST.get("reply", "")[:MAX_REPLY]
    if not reply.strip():
        return render(request, "replyqc/_result.html", {"empty": True})
    return render(request, "replyqc/_result.html", {"result": services.check_appeal(appeal, reply)})


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """Supervisor view: per department, the share of replies flagged and the share sent despite warnings."""
    if not services.can_see_quality(request.user):
        raise PermissionDenied(gettext("只有督办员、领导和管理员可以查看答复质量。"))
    try:
        days = max(1, min(int(request.GET.get("days", "30")), 366))
    except ValueError:
        days = 30
    end = timezone.now()
    start = end - dt.timedelta(days=days)
    context = services.quality_context(start, end)
    context["days"] = days
    return render(request, "replyqc/board.html", context)
