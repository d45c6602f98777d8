"""Citizen portal: submit (phone first), track by number + phone, or follow the progress link. No login.

The progress link carries the appeal's ``public_token``, which may also appear on the
public map (Open311), so its page shows only what the public may see; the full view
(the appeal's own words, the reply, the rating link) needs the number and the phone.
A form's idempotency key belongs to the browser session that was served the form.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from minyi.appeals import attachments, disclosure, services
from minyi.appeals.attachments import PILLOW_FORMATS
from minyi.appeals.models import Appeal, Attachment
from minyi.appeals.validators import normalize_phone
from minyi.directory.models import Channel, GridCell
from minyi.portal.forms import PortalSubmitForm, TrackForm
from minyi.portal.ratelimit import hit, with_retry_after
from minyi.workflow.machine import Event, State
from minyi.workflow.services import CITIZEN

SUBMITS_PER_HOUR = 10
TRACKS_PER_HOUR = 60
PROGRESS_VIEWS_PER_HOUR = 120
HOUR = 3600
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


def _browser_caller(request: HttpRequest) -> str:
    """This browser's namespace for idempotency keys: a digest of its CSRF secret (the secret itself stays secret).

    The CSRF cookie is set with the form and sent with every post from this browser, double clicks included;
    unlike a session it costs no database row for each anonymous visit.
    """
    get_token(request)  # sets the cookie on the form's page; on a post, the middleware has read it already
    digest = hashlib.sha256(str(request.META.get("CSRF_COOKIE", "")).encode("ascii")).hexdigest()[:24]
    return f"portal:{digest}"


def submit(request: HttpRequest) -> HttpResponse:
    stand = request.GET.get("stand", "")
    if request.method == "POST":
        form = PortalSubmitForm(request.POST, request.FILES)
        if not hit(request, "portal-submit", limit=SUBMITS_PER_HOUR, window_s=HOUR):
            return with_retry_after(render(request, "portal/submit.html", {"form": form, "limited": True}, status=429), HOUR)
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
                    appeal, created = services.intake_appeal(
                        intake, by=CITIZEN, idempotency_key=data["idempotency_key"] or None, caller=_browser_caller(request), accept=False
                    )
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
                request.session["portal_last"] = appeal.public_token
                return redirect("portal:done", token=appeal.public_token)
        return render(request, "portal/submit.html", {"form": form, "stand": request.POST.get("stand", ""), **_map()}, status=400)
    _browser_caller(request)  # the form's key belongs to this browser from the start, so a double click cannot fork it
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


def done(request: HttpRequest, token: str) -> HttpResponse:
    # Only the browser that submitted sees the confirmation; others must track with the phone.
    if request.session.get("portal_last") != token:
        return redirect("portal:track")
    appeal = Appeal.objects.filter(public_token=token).only("number", "public_token").first()
    if appeal is None:
        return redirect("portal:track")
    return render(request, "portal/done.html", {"number": appeal.number, "token": appeal.public_token})


def track(request: HttpRequest) -> HttpResponse:
    """The full view, for whoever knows both the number and the phone it was submitted with.

    Posted, not a GET form: a phone number in the URL would land in proxies' access logs and browser history.
    A link may still carry the number (``?number=``) to fill it in.
    """
    form = TrackForm(request.POST or None, initial={"number": request.GET.get("number", "")[:24]})
    context: dict[str, Any] = {"form": form}
    if form.is_bound:
        if not hit(request, "portal-track", limit=TRACKS_PER_HOUR, window_s=HOUR):
            context["limited"] = True
            return with_retry_after(render(request, "portal/track.html", context, status=429), HOUR)
        if form.is_valid():
            phone = normalize_phone(form.cleaned_data["phone"])
            appeal = Appeal.objects.filter(number=form.cleaned_data["number"].strip()).with_phone(phone).first() if phone else None
            if appeal is None:
                form.add_error(None, gettext("没有找到该编号和手机号对应的诉求，请核对后重试"))
            else:
                context.update(appeal=appeal, steps=_public_steps(appeal), rating_url=_rating_url(appeal), reply_files=_reply_files(appeal))
    return render(request, "portal/track.html", context)


# The reply's files, for the citizen who just proved number + phone: links signed for an hour, since the
# tracking page has no session to check later (and a phone number must never ride in a URL).
FILE_LINK_SALT = "minyi.portal.reply-file"
FILE_LINK_AGE_S = HOUR


def _reply_files(appeal: Appeal) -> list[dict[str, Any]]:
    signer = signing.TimestampSigner(salt=FILE_LINK_SALT)
    files = appeal.attachments.filter(stage=Attachment.Stage.REPLY).order_by("pk")
    return [{"name": f.original_name, "size": f.size, "image": f.content_type in PILLOW_FORMATS,
             "url": reverse("portal:file", args=[signer.sign(f"{appeal.pk}.{f.pk}")])} for f in files]  # fmt: skip


def reply_file(request: HttpRequest, token: str) -> FileResponse:
    """A file of the reply, by a link from the tracking page (see ``_reply_files``)."""
    try:
        value = signing.TimestampSigner(salt=FILE_LINK_SALT).unsign(token, max_age=FILE_LINK_AGE_S)
        appeal_id, file_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise Http404(gettext("链接已失效，请重新查询进度后再打开附件")) from None
    item = Attachment.objects.filter(pk=file_id, appeal_id=appeal_id, stage=Attachment.Stage.REPLY).select_related("appeal").first()
    if item is None:
        raise Http404(gettext("附件不存在"))
    return attachments.serve(request, item.appeal, item)


def progress(request: HttpRequest, token: str) -> HttpResponse:
    """The progress link: status and steps only, as the public may see them (see the module docstring)."""
    if not hit(request, "portal-progress", limit=PROGRESS_VIEWS_PER_HOUR, window_s=HOUR):
        return with_retry_after(render(request, "portal/progress.html", {"limited": True}, status=429), HOUR)
    appeal = Appeal.objects.select_related("category", "grid__parent").filter(public_token=token).first()
    if appeal is None:
        raise Http404(gettext("没有找到该诉求"))
    context = {
        "appeal": appeal,
        "category": appeal.category.name if appeal.category else "",
        "place": disclosure.coarse_place(appeal),
        "reply": disclosure.public_reply(appeal),
        "steps": _public_steps(appeal),
    }
    return render(request, "portal/progress.html", context)


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
