"""Pages: the accountability desk, the notification centre, the citizen's rating link, topics and their forms, events.

Views parse and authorize, then call the actions; they never write appeals directly.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from minyi.accountability import notifications as inbox
from minyi.accountability import ratings, services, topics
from minyi.accountability.forms import AppealNumberForm, EngagementForm, MilestoneForm, NewTopicForm, TopicForm
from minyi.accountability.models import Engagement, ReturnRecord, SupervisionOrder, Topic
from minyi.appeals.models import Satisfaction
from minyi.appeals.queries import visible_to
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


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    """An action's ValidationError onto the form: field errors where the form has the field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, gettext(error))
    else:
        for error in exc.messages:
            form.add_error(None, gettext(error))


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """A page in the site's frame that says why, not a bare-text 403."""
    return render(request, "403.html", {"exception": gettext(message)}, status=403)


# ----- 疑难专题 ---------------------------------------------------------------------


def _visible_linked(linked: Any, user: Any) -> Any:
    """The linked appeals the user may see (``visible_to``): a handler, its own department's only."""
    return linked.filter(pk__in=visible_to(user).values("pk")).select_related("department").order_by("-created_at")


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    rows = [{"topic": t, "progress": topics.progress(t)} for t in Topic.objects.select_related("owner", "leader", "department")]
    return render(request, "accountability/topics.html", {"rows": rows, "can_create": topics.may_create_topic(request.user)})


@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    if not topics.may_create_topic(request.user):
        return _forbidden(request, "只有督办员、领导或管理员可以设立专题")
    if request.method != "POST":
        form = NewTopicForm(initial={"owner": request.user.pk})
        return render(request, "accountability/topic_form.html", {"form": form})
    form = NewTopicForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            topic = topics.create_topic(
                data["title"],
                owner=data["owner"],
                leader=data["leader"],
                by=request.user,
                description=data["description"],
                department=data["department"],
                milestones=data["milestones"],
            )
        except ActionForbidden as exc:
            return _forbidden(request, exc.message)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, gettext("专题已设立"))
            return redirect("accountability:topic", topic_id=topic.pk)
    return render(request, "accountability/topic_form.html", {"form": form}, status=400)


@login_required
def topic_edit(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = get_object_or_404(Topic, pk=topic_id)
    if not topics.may_edit_topic(topic, request.user):
        return _forbidden(request, "只有专题责任人、包案领导或督办员可以修改专题")
    if topic.status == Topic.Status.CLOSED:
        messages.error(request, gettext("专题已销号，不能再修改"))
        return redirect("accountability:topic", topic_id=topic.pk)
    people = {"owner_id": topic.owner_id, "leader_id": topic.leader_id}
    if request.method != "POST":
        initial = {
            "title": topic.title,
            "description": topic.description,
            "department": topic.department_id,
            "owner": topic.owner_id,
            "leader": topic.leader_id,
        }
        return render(request, "accountability/topic_form.html", {"form": TopicForm(initial=initial, **people), "topic": topic})
    form = TopicForm(request.POST, **people)
    if form.is_valid():
        data = form.cleaned_data
        try:
            topics.update_topic(
                topic,
                by=request.user,
                title=data["title"],
                description=data["description"],
                owner=data["owner"],
                leader=data["leader"],
                department=data["department"],
            )
        except ActionForbidden as exc:
            return _forbidden(request, exc.message)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, gettext("专题已保存"))
            return redirect("accountability:topic", topic_id=topic.pk)
    return render(request, "accountability/topic_form.html", {"form": form, "topic": topic}, status=400)


@login_required
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.select_related("owner", "leader", "department"), pk=topic_id)
    milestone_form, link_form = MilestoneForm(prefix="m"), AppealNumberForm(prefix="a")
    if request.method == "POST":
        action: Any = request.POST.get("action")
        if action in ("milestone", "add_milestone", "link_appeal") and not topics.may_edit_topic(topic, request.user):
            return _forbidden(request, "只有专题责任人、包案领导或督办员可以修改专题")
        try:
            if action == "close_out":
                topics.close_out(topic, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, gettext("专题已销号"))
            elif action == "milestone":
                milestone = get_object_or_404(topic.milestones, pk=request.POST.get("milestone"))
                topics.complete_milestone(milestone, by=request.user, note=request.POST.get("note", ""))
                messages.success(request, gettext("节点已完成"))
            elif action == "add_milestone":
                milestone_form = MilestoneForm(request.POST, prefix="m")
                if milestone_form.is_valid():
                    data = milestone_form.cleaned_data
                    topics.add_milestone(topic, data["title"], due_on=data["due_on"], by=request.user)
                    messages.success(request, gettext("节点已增加"))
            elif action == "link_appeal":
                link_form = AppealNumberForm(request.POST, prefix="a")
                if link_form.is_valid():
                    appeal = visible_to(request.user).filter(number=link_form.cleaned_data["number"].strip()).first()
                    if appeal is None:
                        link_form.add_error("number", gettext("找不到该诉求编号"))
                    elif topics.link_appeal(topic, appeal, by=request.user):
                        messages.success(request, gettext("诉求 %(number)s 已纳入专题") % {"number": appeal.number})
                    else:
                        messages.info(request, gettext("诉求 %(number)s 已在专题中") % {"number": appeal.number})
        except ActionForbidden as exc:
            return _forbidden(request, exc.message)
        except ValidationError as exc:
            if action in ("add_milestone", "link_appeal"):
                _form_errors(link_form if action == "link_appeal" else milestone_form, exc)
            else:
                for message in exc.messages:
                    messages.error(request, gettext(message))
        if not (milestone_form.errors or link_form.errors):
            return redirect("accountability:topic", topic_id=topic.pk)
    progress = topics.progress(topic)
    shown = _visible_linked(topic.appeals, request.user)
    return render(
        request,
        "accountability/topic.html",
        {
            "topic": topic,
            "progress": progress,
            "milestones": topic.milestones.all(),
            # The progress line counts every linked appeal (the topic is district business);
            # the list names only those the reader may see, so a handler sees no other department's titles.
            "appeals": shown[:100],
            "hidden_appeals": progress.assigned - shown.count(),
            "can_edit": topics.may_edit_topic(topic, request.user),
            "can_close_out": topics.may_close_out(topic, request.user),
            "milestone_form": milestone_form,
            "link_form": link_form,
            "audit": topic.audit.order_by("-id")[:50],
        },
        status=400 if milestone_form.errors or link_form.errors else 200,
    )


# ----- 政企早餐会 / 社情民意联系日 ------------------------------------------------------


@login_required
def engagement_list(request: HttpRequest) -> HttpResponse:
    visible = Prefetch("appeals", queryset=visible_to(request.user).order_by("-created_at"))
    events = Engagement.objects.select_related("topic").prefetch_related("enterprises", visible)[:100]
    return render(request, "accountability/engagements.html", {"events": events, "can_record": topics.may_record_engagement(request.user)})


@login_required
def engagement_new(request: HttpRequest) -> HttpResponse:
    if not topics.may_record_engagement(request.user):
        return _forbidden(request, "您没有登记活动的权限")
    if request.method != "POST":
        return render(request, "accountability/engagement_form.html", {"form": EngagementForm()})
    form = EngagementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = topics.record_engagement(
                data["kind"],
                data["date"],
                data["topic"],
                by=request.user,
                enterprises=data["enterprises"],
                host=data["host"],
                place=data["place"],
                notes=data["notes"],
            )
        except ActionForbidden as exc:
            return _forbidden(request, exc.message)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, gettext("活动已登记，可继续录入现场提出的诉求"))
            return redirect("accountability:engagement", event_id=event.pk)
    return render(request, "accountability/engagement_form.html", {"form": form}, status=400)


@login_required
def engagement_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    """Edit an event and record the appeals raised there (by number)."""
    event = get_object_or_404(Engagement.objects.select_related("topic"), pk=event_id)
    if not topics.may_record_engagement(request.user):
        return _forbidden(request, "您没有登记活动的权限")
    initial = {
        "kind": event.kind,
        "date": event.date,
        "topic": event.topic_id,
        "host": event.host,
        "place": event.place,
        "notes": event.notes,
        "enterprises": list(event.enterprises.values_list("pk", flat=True)),
    }
    form, link_form = EngagementForm(initial=initial), AppealNumberForm(prefix="a")
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "save":
            form = EngagementForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                fields = {k: data[k] for k in ("kind", "date", "topic", "enterprises", "host", "place", "notes")}
                topics.update_engagement(event, by=request.user, **fields)
                messages.success(request, gettext("活动记录已保存"))
        elif action == "appeal":
            link_form = AppealNumberForm(request.POST, prefix="a")
            if link_form.is_valid():
                appeal = visible_to(request.user).filter(number=link_form.cleaned_data["number"].strip()).first()
                if appeal is None:
                    link_form.add_error("number", gettext("找不到该诉求编号"))
                elif topics.add_engagement_appeal(event, appeal, by=request.user):
                    messages.success(request, gettext("已录入现场诉求 %(number)s") % {"number": appeal.number})
                else:
                    messages.info(request, gettext("诉求 %(number)s 已录入过") % {"number": appeal.number})
    except ActionForbidden as exc:
        return _forbidden(request, exc.message)
    except ValidationError as exc:
        _form_errors(link_form if action == "appeal" else form, exc)
    invalid = bool(form.errors or link_form.errors)
    if action and not invalid:
        return redirect("accountability:engagement", event_id=event.pk)
    return render(
        request,
        "accountability/engagement.html",
        {
            "event": event,
            "form": form,
            "link_form": link_form,
            "appeals": _visible_linked(event.appeals, request.user),
            "audit": event.audit.order_by("-id")[:50],
        },
        status=400 if invalid else 200,
    )
