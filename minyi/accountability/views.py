"""Pages: the accountability desk, the notification centre, the citizen's rating link, topics, events.

Views parse and authorize, then call the actions; they never write appeals directly.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from minyi.accountability import notifications as inbox
from minyi.accountability import ratings, services, topics
from minyi.accountability.models import Engagement, ReturnRecord, SupervisionOrder, Topic
from minyi.appeals.models import Satisfaction
from minyi.core.roles import department_ids_of, sees_all
from minyi.workflow.machine import TransitionError
from minyi.workflow.services import ActionForbidden


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), choices=list(reversed(Satisfaction.choices)), coerce=int, widget=forms.RadioSelect
    )
    resolved = forms.TypedChoiceField(
        label=_("问题是否解决"), choices=[("1", _("已解决")), ("0", _("未解决"))], coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("意见和建议（选填）"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    central = sees_all(request.user)
    dept_ids = None if central else department_ids_of(request.user)
    return render(
        request,
        "accountability/dashboard.html",
        {
            "rate": services.callback_rate(),
            "listed": services.listed_appeals()[:50] if central else [],
            "orders": services.open_orders(dept_ids)[:50],
            "pending_returns": ReturnRecord.objects.filter(decision=ReturnRecord.Decision.PENDING).select_related("appeal", "department")[:50]
            if central
            else [],
            "return_counts": services.return_counts() if central else [],
            "callbacks": services.pending_callbacks()[:50] if central else [],
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        changed = inbox.mark_read(request.user)
        messages.success(request, f"已将 {changed} 条通知标为已读")
        return redirect("accountability:notifications")
    return render(
        request,
        "accountability/notifications.html",
        {"items": inbox.inbox(request.user)[:200], "unread": inbox.unread_count(request.user)},
    )


@csrf_protect
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The citizen's rating page: no login, a signed expiring link, a CSRF-protected form."""
    try:
        appeal = ratings.appeal_for(token)
    except ratings.LinkInvalid as exc:
        return render(request, "accountability/rate.html", {"invalid": exc.message}, status=410)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ratings.rate(token, satisfaction=data["satisfaction"], resolved=data["resolved"], comment=data["comment"])
        except ratings.LinkInvalid as exc:
            return render(request, "accountability/rate.html", {"invalid": exc.message}, status=410)
        except (TransitionError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            return render(request, "accountability/rate.html", {"done": True})
    return render(request, "accountability/rate.html", {"appeal": appeal, "form": form})


@login_required
@require_POST
def respond(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(SupervisionOrder, pk=order_id)
    try:
        services.respond_to_order(order, response=request.POST.get("response", ""), by=request.user)
    except ActionForbidden as exc:
        return HttpResponseForbidden(exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("accountability:dashboard")
    messages.success(request, "督办单已书面回复")
    return redirect("accountability:dashboard")


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    rows = [{"topic": t, "progress": topics.progress(t)} for t in Topic.objects.select_related("owner", "leader", "department")]
    return render(request, "accountability/topics.html", {"rows": rows})


@login_required
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.select_related("owner", "leader", "department"), pk=topic_id)
    if request.method == "POST":
        action: Any = request.POST.get("action")
        try:
            if action == "close_out":
                topics.close_out(topic, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, "专题已销号")
            elif action == "milestone":
                milestone = get_object_or_404(topic.milestones, pk=request.POST.get("milestone"))
                topics.complete_milestone(milestone, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, "节点已完成")
        except ActionForbidden as exc:
            return HttpResponseForbidden(exc.message)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("accountability:topic", topic_id=topic.pk)
    return render(
        request,
        "accountability/topic.html",
        {
            "topic": topic,
            "progress": topics.progress(topic),
            "milestones": topic.milestones.all(),
            "appeals": topic.appeals.select_related("department").order_by("-created_at")[:100],
        },
    )


@login_required
def engagement_list(request: HttpRequest) -> HttpResponse:
    events = Engagement.objects.select_related("topic").prefetch_related("enterprises", "appeals")[:100]
    return render(request, "accountability/engagements.html", {"events": events})
