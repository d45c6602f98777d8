"""Pages that make the loop operable: list, intake, detail with timeline and allowed actions."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.appeals import attachments, printing, services
from minyi.appeals.forms import ActionForm, IntakeForm, RaisePriorityForm
from minyi.appeals.models import Appeal, Attachment, CallbackMethod, Kind, Priority
from minyi.appeals.queries import CappedPaginator, filter_appeals, visible_to
from minyi.core.pii import AppealView, mask_text, present
from minyi.core.roles import department_ids_of, may_reveal_pii, roles_of
from minyi.desk import templates as reply_templates
from minyi.directory.models import Category, Channel, Department
from minyi.workflow import machine
from minyi.workflow.machine import EVENT_LABELS, STATE_LABELS, Event, State, TransitionError
from minyi.workflow.policy import RAISES_PRIORITY, may
from minyi.workflow.services import ActionForbidden
from minyi.workflow.sla import SLA_STATE_LABELS, sla_state

PAGE_SIZE = 50


def _display(appeal: Appeal, user: Any, view: AppealView | None = None) -> dict[str, Any]:
    """The row or page data; personal data masked unless ``view`` comes from an audited reveal."""
    state = sla_state(timezone.now(), due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at, paused=appeal.paused_at is not None)
    if appeal.state in machine.TERMINAL_STATES or appeal.state in (State.REPLIED, State.PENDING_CALLBACK):
        state_label = ""
    else:
        state_label = gettext(SLA_STATE_LABELS[state]) if appeal.reply_due_at else ""
    return {
        "appeal": appeal,
        "view": view or present(appeal, user),
        "sla": state.value,
        "sla_label": state_label,
    }


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    params = {k: str(v) for k, v in request.GET.items() if v}
    qs = filter_appeals(visible_to(request.user), params, by_phone=may_reveal_pii(request.user)).select_related("channel", "department", "category")
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_display(a, request.user) for a in page.object_list]
    query = urlencode({k: v for k, v in params.items() if k != "page"})
    return render(
        request,
        "appeals/list.html",
        {
            "page": page,
            "rows": rows,
            "params": params,
            "query": query,
            "statuses": [(s.value, label) for s, label in STATE_LABELS.items() if s is not State.NEW],
            "channels": Channel.objects.all(),
            "kinds": Kind.choices,
            # Units and categories for the filters: the top two levels (a unit's filter takes its whole subtree).
            "units": Department.objects.filter(active=True, parent__parent__isnull=True).exclude(parent__isnull=True).order_by("kind", "code"),
            "categories": Category.objects.filter(active=True, level__lte=2).select_related("parent").order_by("code"),
            "can_export_full": may_reveal_pii(request.user),
        },
    )


@login_required
def appeal_new(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if not may(roles, Event.REGISTER, own_department=False):
        return HttpResponseForbidden(gettext("您没有登记诉求的权限"))
    if request.method == "POST":
        form = IntakeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            intake = services.IntakeData(
                channel=data["channel"],
                title=data["title"],
                content=data["content"],
                kind=data["kind"],
                priority=data["priority"],
                submitter_type=data["submitter_type"],
                submitter_name=data["submitter_name"],
                credit_code=data["credit_code"],
                phone=data["phone"],
                address=data["address"],
                grid=data["grid"],
                category=data["category"],
                lat=data["lat"],
                lng=data["lng"],
            )
            try:
                appeal, created = services.intake_appeal(intake, by=request.user, idempotency_key=data["idempotency_key"] or None)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                if created:
                    messages.success(request, gettext("诉求已受理，编号 %(number)s") % {"number": appeal.number})
                else:
                    messages.info(request, gettext("该诉求已提交过，编号 %(number)s") % {"number": appeal.number})
                return redirect("appeals:detail", number=appeal.number)
        return render(request, "appeals/new.html", {"form": form}, status=400)
    initial = {"idempotency_key": uuid.uuid4().hex}
    for name in ("kind", "title", "content"):  # prefilled from 小惠's "turn into an appeal" link
        if value := request.GET.get(name, "").strip():
            initial[name] = value[:3000]
    form = IntakeForm(initial=initial)
    return render(request, "appeals/new.html", {"form": form})


def _get_visible(request: HttpRequest, number: str) -> Appeal:
    appeal = visible_to(request.user).select_related("channel", "department", "category", "grid", "merged_into").filter(number=number).first()
    if appeal is None:
        raise Http404(gettext("诉求不存在或您无权查看"))
    return appeal


def available_actions(appeal: Appeal, user: Any) -> list[str]:
    """Events the current state allows and the user's roles permit, callback folded into one."""
    roles = roles_of(user)
    own = appeal.department_id is not None and appeal.department_id in department_ids_of(user)
    result: list[str] = []
    for event in machine.events_from(appeal.state):
        if event is Event.REGISTER or not may(roles, event, own_department=own):
            continue
        name = "callback" if event in (Event.CLOSE, Event.REOPEN, Event.REFER_ARBITRATION) else event.value
        if name not in result:
            result.append(name)
    return result


ACTION_LABELS = {**{e.value: label for e, label in EVENT_LABELS.items()}, "callback": "回访评价"}
# The step an action's files belong to (a reply's files are shown to the citizen).
FILE_STAGES = {
    Event.REPLY.value: Attachment.Stage.REPLY,
    Event.RETURN.value: Attachment.Stage.RETURN,
    Event.REQUEST_EXTENSION.value: Attachment.Stage.EXTENSION,
    Event.SUSPEND.value: Attachment.Stage.SUSPEND,
    "callback": Attachment.Stage.CALLBACK,
}


def _raise_priority_form(appeal: Appeal, user: Any, failed: RaisePriorityForm | None) -> RaisePriorityForm | None:
    """提高紧急程度 for dispatchers, supervisors and admins, while the appeal is open and not yet 特急."""
    if failed is not None:
        return failed
    offered = services.raisable_priorities(appeal)
    if not offered or not roles_of(user) & RAISES_PRIORITY:
        return None
    return RaisePriorityForm(offered=offered)


def _detail_context(
    request: HttpRequest,
    appeal: Appeal,
    failed: ActionForm | None = None,
    failed_raise: RaisePriorityForm | None = None,
    view: AppealView | None = None,
) -> dict[str, Any]:
    shown = view or present(appeal, request.user)
    timeline = list(services.timeline(appeal))
    for entry in timeline:
        entry.shown_reason = shown.reason(entry.reason)  # type: ignore[attr-defined]  # display only, never saved
    merged = list(appeal.merged.all()[:20])
    for other in merged:
        other.shown_title = mask_text(other.title)  # type: ignore[attr-defined]  # the reveal is for this appeal only
    forms = []
    for name in available_actions(appeal, request.user):
        form = failed if failed is not None and failed.event == name else ActionForm(event=name, prefix=name)
        forms.append({"name": name, "label": gettext(ACTION_LABELS[name]), "form": form})
    return {
        "raise_priority": _raise_priority_form(appeal, request.user, failed_raise),
        "priorities": Priority.choices,  # names the levels of 提高紧急程度 rows on the timeline
        "callback_methods": CallbackMethod.choices,  # 电话/短信/上门 on 回访 rows
        **_display(appeal, request.user, shown),
        "timeline": timeline,
        "actions": forms,
        "attachments": appeal.attachments.select_related("uploaded_by").order_by("created_at", "pk"),
        "merged": merged,
        # Drafting help next to the reply form: the department's templates and 小惠's similar past replies.
        "reply_templates": reply_templates.rendered_for_department(appeal.department_id) if any(f["name"] == "reply" for f in forms) else [],
        "can_reply": any(f["name"] == "reply" for f in forms),
    }


@login_required
def appeal_detail(request: HttpRequest, number: str) -> HttpResponse:
    appeal = _get_visible(request, number)
    return render(request, "appeals/detail.html", _detail_context(request, appeal))


@login_required
def appeal_print(request: HttpRequest, number: str) -> HttpResponse:
    """打印工单: the A4 派单单/办理单 with a print button; masked as the printing user sees the appeal."""
    return HttpResponse(printing.to_html(request, _get_visible(request, number)))


@login_required
def appeal_print_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The same sheet as a PDF, for filing or a printer without a browser."""
    appeal = _get_visible(request, number)
    response = HttpResponse(printing.to_pdf(request, appeal), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="gongdan-{appeal.number}.pdf"'
    return response


@login_required
@require_POST
def appeal_reveal(request: HttpRequest, number: str) -> HttpResponse:
    """查看完整信息: this appeal's full phone and text, in this response only; each press is one REVEAL_PII row.

    Answered with the page itself rather than a redirect, so a reload or the next action shows the
    masked page again and no full number lingers in the session.
    """
    appeal = _get_visible(request, number)
    try:
        view = services.reveal_personal_data(appeal, by=request.user, request=request)
    except ActionForbidden as exc:
        return HttpResponseForbidden(exc.message)
    response = render(request, "appeals/detail.html", _detail_context(request, appeal, view=view))
    response["Cache-Control"] = "no-store"  # a full phone number is not kept in the browser's cache
    return response


@login_required
@require_POST
def appeal_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    appeal = _get_visible(request, number)
    if action not in ACTION_LABELS:
        raise Http404("未知操作")
    form = ActionForm(request.POST, request.FILES, event=action, prefix=action)
    if form.is_valid():
        uploads = form.cleaned_data.get("files") or []
        try:
            for upload in uploads:
                attachments.check_upload(upload)
            with transaction.atomic():  # the action and its attachments stand or fall together
                _run(appeal, action, form.cleaned_data, request.user)
                if uploads:
                    attachments.attach_files(appeal, uploads, by=request.user, stage=FILE_STAGES.get(action, Attachment.Stage.INTAKE))
        except ActionForbidden as exc:
            return HttpResponseForbidden(exc.message)
        except TransitionError as exc:
            form.add_error(None, gettext(exc.message))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, gettext("已%(action)s") % {"action": gettext(ACTION_LABELS[action])})
            return redirect("appeals:detail", number=appeal.number)
    appeal.refresh_from_db()
    return render(request, "appeals/detail.html", _detail_context(request, appeal, failed=form), status=400)


@login_required
@require_POST
def appeal_raise_priority(request: HttpRequest, number: str) -> HttpResponse:
    """提高紧急程度 (``services.raise_priority``): shortens a running reply clock; the message names the new deadline."""
    appeal = _get_visible(request, number)
    if not roles_of(request.user) & RAISES_PRIORITY:
        return HttpResponseForbidden(gettext("您没有权限提高诉求的紧急程度"))
    form = RaisePriorityForm(request.POST, offered=services.raisable_priorities(appeal))
    if form.is_valid():
        try:
            raised = services.raise_priority(appeal, form.cleaned_data["priority"], reason=form.cleaned_data["reason"], by=request.user)
        except ActionForbidden as exc:
            return HttpResponseForbidden(exc.message)
        except TransitionError as exc:
            form.add_error(None, gettext(exc.message))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _raised_message(appeal, raised))
            return redirect("appeals:detail", number=appeal.number)
    appeal.refresh_from_db()
    return render(request, "appeals/detail.html", _detail_context(request, appeal, failed_raise=form), status=400)


def _raised_message(before: Appeal, after: Appeal) -> str:
    """Names the new reply deadline when the raise moved it (a paused clock only keeps less time for later)."""
    done = gettext("已将紧急程度提高为“%(priority)s”") % {"priority": after.get_priority_display()}
    if after.paused_remaining_seconds != before.paused_remaining_seconds:
        return done + gettext("，答复时限已相应缩短，恢复办理后按新时限计时")
    if after.reply_due_at is not None and after.reply_due_at != before.reply_due_at:
        return done + gettext("，答复时限提前至 %(due)s") % {"due": timezone.localtime(after.reply_due_at).strftime("%Y-%m-%d %H:%M")}
    return done


def _run(appeal: Appeal, action: str, data: dict[str, Any], user: Any) -> Appeal:
    reason = data.get("reason", "")
    if action == "callback":
        return services.record_callback(
            appeal, satisfaction=data["satisfaction"], resolved=data["resolved"], comment=data.get("comment", ""), method=data["method"], by=user
        )
    if action == Event.MERGE:
        target = visible_to(user).filter(number=data["merge_into"].strip()).first()
        if target is None:
            raise ValidationError(gettext("找不到该主件编号"))
        return services.merge_appeal(appeal, into=target, by=user, reason=reason)
    simple = {
        Event.ACCEPT: lambda: services.accept_appeal(appeal, by=user),
        Event.REJECT: lambda: services.reject_appeal(appeal, reason=reason, by=user),
        Event.CLOSE_DIRECTLY: lambda: services.close_directly(appeal, reply=data["reply"], by=user),
        Event.DISPATCH: lambda: services.dispatch_appeal(appeal, data["department"], category=data.get("category"), reason=reason, by=user),
        Event.REDISPATCH: lambda: services.redispatch_appeal(appeal, data["department"], category=data.get("category"), reason=reason, by=user),
        Event.CLAIM: lambda: services.claim_appeal(appeal, by=user),
        Event.RETURN: lambda: services.return_appeal(appeal, reason=reason, by=user),
        Event.REQUEST_EXTENSION: lambda: services.request_extension(appeal, days=data["extension_days"], reason=reason, by=user),
        Event.APPROVE_EXTENSION: lambda: services.approve_extension(appeal, reason=reason, by=user),
        Event.DENY_EXTENSION: lambda: services.deny_extension(appeal, reason=reason, by=user),
        Event.SUSPEND: lambda: services.suspend_appeal(appeal, reason=reason, by=user),
        Event.RESUME: lambda: services.resume_appeal(appeal, reason=reason, by=user),
        Event.REPLY: lambda: services.reply_appeal(appeal, reply=data["reply"], by=user),
        Event.APPROVE_REPLY: lambda: services.approve_reply(appeal, reason=reason, by=user),
        Event.REJECT_REPLY: lambda: services.reject_reply(appeal, reason=reason, by=user),
        Event.SUPERVISE: lambda: services.supervise_appeal(appeal, reason=reason, by=user),
        Event.URGE: lambda: services.urge_appeal(appeal, reason=reason, by=user),
        Event.LIST_SUPERVISE: lambda: services.list_supervise_appeal(appeal, reason=reason, by=user),
        Event.APPROVE_RETURN: lambda: services.approve_return(appeal, reason=reason, by=user),
        Event.REJECT_RETURN: lambda: services.reject_return(appeal, reason=reason, by=user),
        Event.ARBITRATE_REOPEN: lambda: services.arbitrate_appeal(appeal, reopen=True, reason=reason, by=user),
        Event.ARBITRATE_CLOSE: lambda: services.arbitrate_appeal(appeal, reopen=False, reason=reason, by=user),
        Event.UNMERGE: lambda: services.unmerge_appeal(appeal, reason=reason, by=user),
    }
    return simple[Event(action)]()


@login_required
def attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """An appeal's file, for those who may see the appeal; never a direct media URL."""
    appeal = _get_visible(request, number)
    item = appeal.attachments.filter(pk=pk).first()
    if item is None:
        raise Http404(gettext("附件不存在"))
    return attachments.serve(request, appeal, item)  # logged, nosniff, inline only for re-encoded images


@login_required
def attachment_thumb(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """A small preview of an image attachment for the appeal page (same visibility as the file)."""
    appeal = _get_visible(request, number)
    item = appeal.attachments.filter(pk=pk, content_type__in=list(attachments.PILLOW_FORMATS)).first()
    if item is None:
        raise Http404(gettext("附件不存在"))
    response = HttpResponse(attachments.thumbnail(item), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
