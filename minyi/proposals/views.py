"""The proposals desk (建议提案办理) for the 人大/政协 liaison office and the units that handle them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from minyi.appeals import services as appeal_services
from minyi.core.context import PROPOSALS_ROLES
from minyi.core.pii import mask_people_and_doors, mask_text
from minyi.core.roles import department_ids_of, roles_of
from minyi.directory.models import Department
from minyi.proposals import forms as pf
from minyi.proposals import letter, services
from minyi.proposals.models import Classification, Kind, Proposal
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import OPEN_STATES, State, TransitionError
from minyi.workflow.policy import Role
from minyi.workflow.services import ActionForbidden
from minyi.workflow.sla import SLA_STATE_LABELS, sla_state

PAGE = 30
StrOrPromise = str | Promise


def due_day(proposal: Proposal) -> dt.date | None:
    """The last day to answer (the deadline is midnight after it)."""
    due = proposal.appeal.reply_due_at
    return (due - dt.timedelta(seconds=1)).astimezone(SHANGHAI).date() if due else None


def _sla(proposal: Proposal, now: dt.datetime) -> str:
    a = proposal.appeal
    if a.state not in OPEN_STATES or a.replied_at is not None:
        return ""
    return gettext(SLA_STATE_LABELS[sla_state(now, due_at=a.reply_due_at, warn_at=a.reply_warn_at, paused=a.paused_at is not None)])


def _visible(request: HttpRequest, pk: int) -> Proposal:
    proposal = services.visible_proposals(request.user).filter(pk=pk).first()
    if proposal is None:
        raise Http404(gettext("没有找到这件建议提案，或您无权查看"))
    return proposal


def _filtered(request: HttpRequest) -> tuple[QuerySet[Proposal], dict[str, str]]:
    qs = services.visible_proposals(request.user)
    f = {k: request.GET.get(k, "").strip() for k in ("year", "kind", "unit", "cls", "state", "q")}
    if f["year"].isdigit():
        qs = qs.filter(year=int(f["year"]))
    if f["kind"] in Kind.values:
        qs = qs.filter(kind=f["kind"])
    if f["unit"].isdigit():
        unit = int(f["unit"])
        qs = qs.filter(Q(appeal__department_id=unit) | Q(co_handlers__department_id=unit)).distinct()
    if f["cls"] in Classification.values:
        qs = qs.filter(classification=f["cls"])
    now = timezone.now()
    if f["state"] == "open":
        qs = qs.exclude(appeal__status__in=[State.CLOSED, State.REJECTED])
    elif f["state"] == "closed":
        qs = qs.filter(appeal__status=State.CLOSED)
    elif f["state"] == "overdue":
        qs = qs.filter(appeal__status__in=[State.DISPATCHED, State.IN_PROGRESS], appeal__reply_due_at__lt=now)
    elif f["state"] == "pending":
        qs = qs.filter(appeal__status=State.PENDING_DISPATCH)
    if f["q"]:
        qs = qs.filter(Q(appeal__title__icontains=f["q"]) | Q(proposer_group__icontains=f["q"]))
    return qs, f


STATE_FILTERS = [
    ("", gettext_lazy("全部")),
    ("pending", gettext_lazy("待交办")),
    ("open", gettext_lazy("在办")),
    ("overdue", gettext_lazy("超期")),
    ("closed", gettext_lazy("已办结")),
]


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """建议提案办理: every proposal the user may see, with deadline and status, filtered."""
    roles = roles_of(request.user)
    if not roles & PROPOSALS_ROLES:
        return HttpResponseForbidden(gettext("您的角色不能使用建议提案工作台"))
    qs, f = _filtered(request)
    qs = qs.select_related("appeal__department").order_by(F("appeal__reply_due_at").asc(nulls_first=True), "kind", "number")
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {"p": p, "proposer": services.proposer_shown(p, request.user), "due": due_day(p), "sla": _sla(p, now), "satisfaction": p.satisfaction} for p in page
    ]
    year = int(f["year"]) if f["year"].isdigit() else now.astimezone(SHANGHAI).year
    query = "&".join(f"{k}={v}" for k, v in f.items() if v)
    return render(
        request,
        "proposals/desk.html",
        {
            "rows": rows,
            "page": page,
            "filters": f,
            "query": query,
            "kinds": Kind.choices,
            "classes": Classification.choices,
            "states": STATE_FILTERS,
            "units": Department.objects.filter(kind__in=[Department.Kind.BUREAU, Department.Kind.STREET]).order_by("code"),
            "year": year,
            "can_register": services.is_liaison(request.user),
        },
    )


@login_required
def register(request: HttpRequest) -> HttpResponse:
    if not services.is_liaison(request.user):
        return HttpResponseForbidden(gettext("只有人大政协联络员可以登记建议提案"))
    form = pf.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = services.ProposalData(**form.cleaned_data)
        try:
            proposal = services.register_proposal(data, by=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, gettext("已登记 %(label)s") % {"label": proposal.label})
            return redirect("proposals:detail", proposal.pk)
    return render(request, "proposals/register.html", {"form": form}, status=400 if form.errors else 200)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@dataclass(frozen=True)
class Action:
    label: StrOrPromise
    form: type[forms.Form]
    offered: Callable[[Proposal, Any], bool]


def _lead(user: Any, proposal: Proposal) -> bool:
    roles = roles_of(user)
    return Role.ADMIN in roles or (Role.HANDLER in roles and proposal.appeal.department_id in department_ids_of(user))


def _pending_units(user: Any, proposal: Proposal) -> QuerySet[Department]:
    """The 协办 units of this proposal whose opinion this user may still give."""
    pending = proposal.co_handlers.filter(submitted_at__isnull=True)
    if Role.ADMIN not in roles_of(user):
        pending = pending.filter(department_id__in=department_ids_of(user)) if Role.HANDLER in roles_of(user) else pending.none()
    return Department.objects.filter(pk__in=pending.values("department_id"))


def _liaison_in(*states: State) -> Callable[[Proposal, Any], bool]:
    return lambda p, u: services.is_liaison(u) and p.appeal.state in states


ACTIONS: dict[str, Action] = {
    "assign": Action(gettext_lazy("交办"), pf.AssignForm, _liaison_in(State.PENDING_DISPATCH)),
    "claim": Action(gettext_lazy("签收"), pf.EmptyForm, lambda p, u: _lead(u, p) and p.appeal.state is State.DISPATCHED),
    "opinion": Action(gettext_lazy("提交协办意见"), pf.OpinionForm, lambda p, u: p.appeal.state in services.HANDLING and _pending_units(u, p).exists()),
    "consult": Action(
        gettext_lazy("记录面商"), pf.ConsultationForm, lambda p, u: p.appeal.state in services.HANDLING and (_lead(u, p) or services.is_liaison(u))
    ),
    "letter": Action(gettext_lazy("发出答复函"), pf.LetterForm, lambda p, u: _lead(u, p) and p.appeal.state is State.IN_PROGRESS),
    "approve": Action(gettext_lazy("答复函审核通过"), pf.EmptyForm, _liaison_in(State.REPLIED)),
    "return": Action(gettext_lazy("退回答复函"), pf.ReturnForm, _liaison_in(State.REPLIED)),
    "rate": Action(gettext_lazy("登记代表委员满意度"), pf.RateForm, _liaison_in(State.PENDING_CALLBACK)),
}


def _form(name: str, proposal: Proposal, user: Any, data: Any = None) -> forms.Form:
    cls = ACTIONS[name].form
    if cls is pf.OpinionForm:
        return pf.OpinionForm(data, units=_pending_units(user, proposal), prefix=name)
    return cls(data, prefix=name)


def _run(name: str, proposal: Proposal, user: Any, data: dict[str, Any]) -> str:
    """Call the action behind ``name``; returns the message for the user."""
    if name == "assign":
        services.assign_proposal(proposal, lead=data["lead"], co_units=list(data["co_units"]), assigned_on=data["assigned_on"], by=user)
        return gettext("已交办，答复期限按交办日期起算三个月")
    if name == "claim":
        appeal_services.claim_appeal(proposal.appeal, by=user)
        return gettext("已签收")
    if name == "opinion":
        services.submit_opinion(proposal, data["department"], opinion=data["opinion"], by=user)
        return gettext("协办意见已提交主办单位")
    if name == "consult":
        services.record_consultation(proposal, by=user, **data)
        return gettext("面商记录已保存")
    if name == "letter":
        services.send_letter(proposal, classification=data["classification"], body=data["body"], contact=data["contact"], by=user)
        return gettext("答复函已发出，等待联络员审核")
    if name == "approve":
        services.approve_letter(proposal, by=user)
        return gettext("答复函审核通过，请征询代表或委员的意见")
    if name == "return":
        services.return_letter(proposal, reason=data["reason"], by=user)
        return gettext("答复函已退回主办单位")
    services.rate_proposal(proposal, satisfaction=data["satisfaction"], comment=data["comment"], by=user)
    return gettext("已登记代表委员的意见")


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _visible(request, pk)
    return render(request, "proposals/detail.html", _context(request, proposal))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    proposal = _visible(request, pk)
    if name not in ACTIONS:
        raise Http404
    if not ACTIONS[name].offered(proposal, request.user):
        messages.error(request, gettext("当前状态下您不能执行“%(label)s”") % {"label": ACTIONS[name].label})
        return redirect("proposals:detail", proposal.pk)
    form = _form(name, proposal, request.user, request.POST)
    if form.is_valid():
        try:
            done = _run(name, proposal, request.user, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        except (TransitionError, ActionForbidden) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("proposals:detail", proposal.pk)
    proposal = _visible(request, pk)
    return render(request, "proposals/detail.html", _context(request, proposal, failed=(name, form)), status=400)


@login_required
def letter_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The 答复函 as DOCX, for anyone who may see the proposal."""
    proposal = _visible(request, pk)
    if not proposal.classification:
        raise Http404(gettext("还没有答复函"))
    response = HttpResponse(letter.render_letter(proposal), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(letter.filename_of(proposal))}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _context(request: HttpRequest, proposal: Proposal, failed: tuple[str, forms.Form] | None = None) -> dict[str, Any]:
    user = request.user
    full = bool(roles_of(user) & services.SEES_PROPOSER)
    shown: Callable[[str], str] = (lambda t: mask_text(t)) if full else (lambda t: mask_people_and_doors(mask_text(t)))
    timeline = list(appeal_services.timeline(proposal.appeal))
    for entry in timeline:
        entry.shown_reason = shown(entry.reason)  # type: ignore[attr-defined]  # display only
    actions = []
    for name, action in ACTIONS.items():
        if action.offered(proposal, user):
            form = failed[1] if failed is not None and failed[0] == name else _form(name, proposal, user)
            actions.append({"name": name, "label": action.label, "form": form})
    return {
        "p": proposal,
        "appeal": proposal.appeal,
        "proposer": services.proposer_shown(proposal, user),
        "content": shown(proposal.appeal.content),
        "letter_body": shown(proposal.letter_body),
        "co_handlers": [(c, shown(c.opinion)) for c in proposal.co_handlers.select_related("department")],
        "consultations": [(c, shown(c.participants), shown(c.summary)) for c in proposal.consultations.all()],
        "timeline": timeline,
        "actions": actions,
        "due": due_day(proposal),
        "sla": _sla(proposal, timezone.now()),
    }
