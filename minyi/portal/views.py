"""Citizen portal: submit (phone first), track by number + phone. No login."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from minyi.appeals import attachments, services
from minyi.appeals.models import Appeal
from minyi.directory.models import Channel, GridCell
from minyi.portal.forms import PortalSubmitForm, TrackForm
from minyi.portal.ratelimit import hit
from minyi.workflow.machine import Event, State
from minyi.workflow.services import CITIZEN

SUBMITS_PER_HOUR = 10
TRACKS_PER_HOUR = 60
# What a citizen sees of the timeline: these events, under these names.
PUBLIC_EVENTS = {
    Event.REGISTER: "已收到您的诉求",
    Event.ACCEPT: "已受理",
    Event.REJECT: "不予受理",
    Event.DISPATCH: "已交办承办单位",
    Event.REDISPATCH: "已转交承办单位",
    Event.CLAIM: "承办单位已签收，正在办理",
    Event.REPLY: "承办单位已答复",
    Event.REOPEN: "已安排重新办理",
    Event.CLOSE: "已办结",
    Event.CLOSE_DIRECTLY: "已答复办结",
    Event.MERGE: "已与同一问题合并办理",
}


def _channel(request: HttpRequest) -> Channel:
    code = "ssp" if request.GET.get("stand") or request.POST.get("stand") else getattr(settings, "MINYI_PORTAL_CHANNEL", "wzxx")
    return Channel.objects.filter(code=code, active=True).first() or Channel.objects.filter(public=True, active=True).first()  # type: ignore[return-value]


def submit(request: HttpRequest) -> HttpResponse:
    stand = request.GET.get("stand", "")
    if request.method == "POST":
        form = PortalSubmitForm(request.POST, request.FILES)
        if not hit(request, "portal-submit", limit=SUBMITS_PER_HOUR, window_s=3600):
            return render(request, "portal/submit.html", {"form": form, "limited": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            intake = services.IntakeData(
                channel=_channel(request),
                title=data["title"],
                content=data["content"],
                kind=data["kind"],
                submitter_name=data["name"],
                phone=data["phone"],
                address=data["address"],
                grid=data["grid"],
                lat=data["lat"],
                lng=data["lng"],
            )
            try:
                for upload in data["photos"]:
                    attachments.check_upload(upload)
                with transaction.atomic():
                    appeal, created = services.intake_appeal(intake, by=CITIZEN, idempotency_key=data["idempotency_key"] or None, accept=False)
                    if created and data["photos"]:
                        attachments.attach_files(appeal, data["photos"], by=CITIZEN)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    for error in exc.messages:
                        form.add_error("photos", error)
            else:
                request.session["portal_last"] = appeal.number
                return redirect("portal:done", number=appeal.number)
        return render(request, "portal/submit.html", {"form": form, "stand": request.POST.get("stand", ""), **_map()}, status=400)
    initial: dict[str, Any] = {"idempotency_key": uuid.uuid4().hex}
    # 小惠's "turn this question into an appeal" link carries the question along.
    for name in ("kind", "title", "content"):
        if value := request.GET.get(name, "").strip():
            initial[name] = value[:3000]
    if stand:
        initial["grid"] = GridCell.objects.filter(code=stand).first()
    return render(request, "portal/submit.html", {"form": PortalSubmitForm(initial=initial), "stand": stand, **_map()})


def _map() -> dict[str, Any]:
    tiles = getattr(settings, "MINYI_MAP_TILES", "")
    return {"map_tiles": tiles, "map_center": getattr(settings, "MINYI_MAP_CENTER", [31.30, 120.61])} if tiles else {}


def done(request: HttpRequest, number: str) -> HttpResponse:
    # Only the browser that submitted sees the confirmation; others must track with the phone.
    if request.session.get("portal_last") != number:
        return redirect("portal:track")
    return render(request, "portal/done.html", {"number": number})


def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound:
        if not hit(request, "portal-track", limit=TRACKS_PER_HOUR, window_s=3600):
            context["limited"] = True
            return render(request, "portal/track.html", context, status=429)
        if form.is_valid():
            appeal = Appeal.objects.filter(number=form.cleaned_data["number"].strip()).with_phone(form.cleaned_data["phone"]).first()
            if appeal is None:
                form.add_error(None, gettext("没有找到该编号和手机号对应的诉求，请核对后重试"))
            else:
                context.update(appeal=appeal, steps=_public_steps(appeal), rating_url=_rating_url(appeal))
    return render(request, "portal/track.html", context)


def _public_steps(appeal: Appeal) -> list[dict[str, Any]]:
    steps = []
    for row in appeal.audit.order_by("id"):
        try:
            event = Event(row.event)
        except ValueError:
            continue
        if event in PUBLIC_EVENTS:
            steps.append({"at": row.at, "label": gettext(PUBLIC_EVENTS[event])})
    return steps


def _rating_url(appeal: Appeal) -> str | None:
    """The signed rating link, when the appeal waits for the citizen's rating."""
    if appeal.state is not State.PENDING_CALLBACK:
        return None
    from minyi.accountability.ratings import make_token

    # Relative, so it works behind whatever host name the portal is served under.
    return reverse("accountability:rate", args=[make_token(appeal)])
