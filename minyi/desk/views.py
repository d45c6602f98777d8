"""Workstations: each role's main page, built on the same actions and scoped queries."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.accountability import reminders
from minyi.appeals import services
from minyi.appeals.forms import IntakeForm
from minyi.appeals.models import Appeal
from minyi.appeals.queries import QUEUE_COUNT_CAP, SLA_FILTERS, CappedPaginator, capped_count, count_label, most_urgent_first, visible_to
from minyi.appeals.validators import normalize_phone
from minyi.core.pii import mask_phone
from minyi.core.roles import roles_of
from minyi.desk import suggestions
from minyi.directory.models import Category, Department, GridCell
from minyi.workflow.machine import State, TransitionError
from minyi.workflow.policy import Role
from minyi.workflow.services import ActionForbidden

PAGE = 30
_ROWS = ("channel", "department", "category", "grid")


def _page(request: HttpRequest, qs: QuerySet[Appeal]) -> Any:
    return CappedPaginator(qs.select_related(*_ROWS), PAGE, cap=QUEUE_COUNT_CAP).get_page(request.GET.get("page"))


REMINDERS_SHOWN = 10


def _reminders(user: Any) -> dict[str, Any]:
    """The 催签 / 回访超期 reminders sent to this user, newest first (``desk/_reminders.html``); nothing for other roles."""
    if not reminders.is_addressed(user):
        return {"reminders": None}
    qs = reminders.addressed_to(user)
    return {"reminders": list(qs[:REMINDERS_SHOWN]), "reminders_total": qs.count()}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it works in all day."""
    roles = roles_of(request.user)
    for role, target in (
        (Role.OPERATOR, "desk:intake"),
        (Role.DISPATCHER, "desk:dispatch"),
        (Role.HANDLER, "desk:inbox"),
        (Role.SUPERVISOR, "desk:supervise"),
        (Role.ADMIN, "desk:dispatch"),
        (Role.LIAISON, "proposals:desk"),
    ):
        if role in roles:
            return redirect(target)
    if Role.LEADER in roles:
        try:
            return redirect(reverse("cockpit:index"))
        except NoReverseMatch:
            return redirect("appeals:list")
    return redirect("appeals:list")


def _require(request: HttpRequest, *allowed: Role) -> HttpResponse | None:
    if not roles_of(request.user) & {*allowed, Role.ADMIN}:
        return HttpResponseForbidden(gettext("您的角色不能使用该工作台"))
    return None


# ----- 受理 operator -----------------------------------------------------------------


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    if (denied := _require(request, Role.OPERATOR, Role.DISPATCHER)) is not None:
        return denied
    if request.method == "POST":
        form = IntakeForm(request.POST)
        close_reply = request.POST.get("close_reply", "").strip()
        if form.is_valid():
            data = form.cleaned_data
            item = services.IntakeData(
                channel=data["channel"], title=data["title"], content=data["content"], kind=data["kind"],
                priority=data["priority"], submitter_type=data["submitter_type"], submitter_name=data["submitter_name"],
                credit_code=data["credit_code"], phone=data["phone"], address=data["address"], grid=data["grid"],
                category=data["category"], lat=data["lat"], lng=data["lng"],
            )
            try:
                appeal, _created = services.intake_appeal(item, by=request.user, idempotency_key=data["idempotency_key"] or None)
                if close_reply:
                    appeal = services.close_directly(appeal, reply=close_reply, by=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except TransitionError as exc:
                form.add_error(None, gettext(exc.message))
            else:
                messages.success(request, gettext("已受理，编号 %(number)s") % {"number": appeal.number})
                return redirect("desk:intake")
        return render(request, "desk/intake.html", {"form": form, **_reminders(request.user)}, status=400)
    form = IntakeForm(initial={"idempotency_key": uuid.uuid4().hex, "channel": _default_channel()})
    return render(request, "desk/intake.html", {"form": form, **_reminders(request.user)})


def _default_channel() -> int | None:
    from minyi.directory.models import Channel

    channel = Channel.objects.filter(code="12345").first()
    return channel.pk if channel else None


@login_required
def caller_history(request: HttpRequest) -> HttpResponse:
    """Earlier appeals from the same phone number (a partial for the intake page)."""
    if _require(request, Role.OPERATOR, Role.DISPATCHER) is not None:
        return HttpResponse(status=403)
    phone = normalize_phone(request.GET.get("phone", ""))
    rows = (
        visible_to(request.user).with_phone(phone).select_related("channel", "department").order_by("-created_at")[:10]
        if len(phone) >= 7
        else []
    )
    return render(request, "desk/_caller.html", {"rows": rows, "phone": phone})


@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Live dispatch suggestions while the call is typed (a partial for the intake page)."""
    if _require(request, Role.OPERATOR, Role.DISPATCHER) is not None:
        return HttpResponse(status=403)
    text = f"{request.GET.get('title', '')}\n{request.GET.get('content', '')}".strip()
    result = suggestions.for_text(text, address=request.GET.get("address", "")) if len(text) >= 6 else None
    # The place named in the text or the address, resolved to 街道/社区 by the grid's names and aliases.
    place = GridCell.objects.select_related("parent").filter(code=result["grid"]).first() if result and result.get("grid") else None
    return render(request, "desk/_suggest.html", {"s": result, "place": place})


# ----- 派单 dispatcher --------------------------------------------------------------


@login_required
def dispatch_queue(request: HttpRequest) -> HttpResponse:
    if (denied := _require(request, Role.DISPATCHER)) is not None:
        return denied
    tab = request.GET.get("tab", "new")
    base = visible_to(request.user)
    tabs = {
        "new": base.filter(status__in=[State.REGISTERED, State.PENDING_DISPATCH], return_count=0),
        # Returns the department asked for and a dispatcher must rule on, then re-dispatch backlog.
        "returned": base.filter(Q(status=State.RETURN_REQUESTED) | Q(status=State.PENDING_DISPATCH, return_count__gt=0)),
        "low": base.filter(status__in=[State.REGISTERED, State.PENDING_DISPATCH]).filter(
            Q(triage__auto_dispatch=False) | ~Q(triage__has_key="auto_dispatch")
        ),
    }
    qs = most_urgent_first(tabs.get(tab, tabs["new"]))
    page = _page(request, qs)
    return render(
        request,
        "desk/dispatch.html",
        {
            "tab": tab,
            "page": page,
            "rows": [{"appeal": a, "s": a.triage or {}} for a in page.object_list],
            "departments": Department.objects.filter(active=True, kind__in=[Department.Kind.BUREAU, Department.Kind.STREET]),
            "counts": {name: count_label(capped_count(q)) for name, q in tabs.items()},
        },
    )


@login_required
@require_POST
def dispatch_accept(request: HttpRequest) -> HttpResponse:
    """采纳建议 or 批量派单: dispatch one or many appeals (accepting registered ones first)."""
    if (denied := _require(request, Role.DISPATCHER)) is not None:
        return denied
    numbers = request.POST.getlist("number")
    chosen = request.POST.get("department", "")
    done, failed = 0, []
    for appeal in visible_to(request.user).filter(number__in=numbers):
        department, category = _target(appeal, chosen)
        if department is None:
            failed.append(f"{appeal.number}：{gettext('请选择承办部门')}")
            continue
        try:
            if appeal.state is State.REGISTERED:
                appeal = services.accept_appeal(appeal, by=request.user)
            services.dispatch_appeal(appeal, department, category=category, by=request.user)
            done += 1
        except (TransitionError, ActionForbidden) as exc:
            failed.append(f"{appeal.number}：{gettext(exc.message)}")
    if done:
        messages.success(request, gettext("已派单 %(n)d 件") % {"n": done})
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "desk:dispatch")


def _target(appeal: Appeal, chosen: str) -> tuple[Department | None, Category | None]:
    if chosen.isdigit():
        return Department.objects.filter(pk=int(chosen), active=True).first(), None
    suggestion = appeal.triage or {}
    departments = suggestion.get("departments") or []
    categories = suggestion.get("categories") or []
    department = Department.objects.filter(pk=departments[0].get("id")).first() if departments and departments[0].get("id") else None
    category = Category.objects.filter(pk=categories[0].get("id")).first() if categories and categories[0].get("id") else None
    return department, category


# ----- 承办 handler -----------------------------------------------------------------


def _inbox_tabs(user: Any) -> dict[str, QuerySet[Appeal]]:
    now = timezone.now()
    mine = visible_to(user)
    open_work = [State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED]
    return {
        "claim": mine.filter(status=State.DISPATCHED),
        "doing": mine.filter(status__in=[State.IN_PROGRESS, State.SUSPENDED]),
        "due_soon": mine.filter(SLA_FILTERS["due_soon"](now)),
        "overdue": mine.filter(SLA_FILTERS["overdue"](now)),
        "rectify": mine.filter(status__in=open_work, bad_rating_at__isnull=False, bad_rating_callback_at__isnull=True),
        "redo": mine.filter(status__in=open_work, reopen_count__gt=0),
    }


INBOX_LABELS = {"claim": "待签收", "doing": "办理中", "due_soon": "临期", "overdue": "超期", "rectify": "整改", "redo": "重办"}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if (denied := _require(request, Role.HANDLER)) is not None:
        return denied
    tabs = _inbox_tabs(request.user)
    tab = request.GET.get("tab", "claim")
    qs = tabs.get(tab, tabs["claim"]).order_by("reply_due_at", "created_at")
    page = _page(request, qs)
    return render(
        request,
        "desk/inbox.html",
        {
            "tab": tab,
            "tabs": [(name, gettext(INBOX_LABELS[name]), count_label(capped_count(q))) for name, q in tabs.items()],
            "page": page,
            "rows": [_row(a, request.user) for a in page.object_list],
            **_reminders(request.user),
        },
    )


@login_required
@require_POST
def claim(request: HttpRequest, number: str) -> HttpResponse:
    appeal = visible_to(request.user).filter(number=number).first()
    if appeal is None:
        return HttpResponse(status=404)
    try:
        services.claim_appeal(appeal, by=request.user)
        messages.success(request, gettext("已签收 %(number)s") % {"number": number})
    except (TransitionError, ActionForbidden) as exc:
        messages.error(request, gettext(exc.message))
    return redirect(request.POST.get("next") or "desk:inbox")


def _row(appeal: Appeal, user: Any) -> dict[str, Any]:
    # Masked for everyone in a list; the full number is one audited 查看完整信息 away on the appeal page.
    return {"appeal": appeal, "phone": mask_phone(appeal.phone)}


# ----- 督办 supervisor --------------------------------------------------------------


@login_required
def supervise(request: HttpRequest) -> HttpResponse:
    if (denied := _require(request, Role.SUPERVISOR, Role.LEADER)) is not None:
        return denied
    now = timezone.now()
    base = visible_to(request.user).select_related(*_ROWS)
    lists = [
        ("overdue", gettext("超期"), base.filter(SLA_FILTERS["overdue"](now)).order_by("reply_due_at")),
        ("due_soon", gettext("临期"), base.filter(SLA_FILTERS["due_soon"](now)).order_by("reply_due_at")),
        ("extension", gettext("待审批延期"), base.filter(status=State.IN_PROGRESS, extension_days_requested__isnull=False).order_by("created_at")),
        (
            "bad",
            gettext("差评待整改回访"),
            base.filter(bad_rating_at__isnull=False, bad_rating_callback_at__isnull=True).exclude(status=State.MERGED).order_by("bad_rating_at"),
        ),
        ("escalated", gettext("挂牌督办"), base.filter(escalation_level__gte=3).exclude(status__in=[State.CLOSED, State.MERGED]).order_by("escalated_at")),
        ("arbitration", gettext("差评待仲裁"), base.filter(status=State.ARBITRATION).order_by("bad_rating_at")),
        ("returns", gettext("退单待审核"), base.filter(status=State.RETURN_REQUESTED).order_by("created_at")),
    ]
    shown = []
    for key, label, qs in lists:
        rows, total = list(qs[:20]), capped_count(qs)
        shown.append((key, label, rows, count_label(total), total > len(rows)))
    return render(request, "desk/supervise.html", {"lists": shown, "topics": _open_topics(), **_reminders(request.user)})


def _open_topics() -> list[dict[str, Any]]:
    """专题 in progress with their 交办/解决/剩余 line."""
    from minyi.accountability import topics
    from minyi.accountability.models import Topic

    rows = Topic.objects.filter(status=Topic.Status.OPEN).select_related("department").order_by("-created_at")[:20]
    return [{"topic": t, "line": topics.progress(t).line()} for t in rows]

