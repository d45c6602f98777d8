"""答复公开 from the appeal page: parse, authorise, call ``services.set_reply_public``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.appeals import services
from minyi.appeals.queries import visible_to
from minyi.workflow.services import ActionForbidden


@login_required
@require_POST
def reply_public(request: HttpRequest, number: str) -> HttpResponse:
    appeal = visible_to(request.user).filter(number=number).first()
    if appeal is None:
        raise Http404(gettext("诉求不存在或您无权查看"))
    public = request.POST.get("public") == "1"
    try:
        services.set_reply_public(appeal, public, by=request.user, reason=request.POST.get("reason", "")[:200])
    except ActionForbidden as exc:
        return HttpResponseForbidden(exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, gettext("答复已设为公开") if public else gettext("答复已取消公开"))
    return redirect("appeals:detail", number=appeal.number)
