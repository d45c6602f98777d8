"""Public pages: a point's code (``/q/<code>``) and the 15-minute service map (``/fuwu/``). No login.

Scanning a code opens the portal with the point known: a scale shows its merchant and its
verification and files a 缺斤短两 report; a stand files a 随手拍 report from its place. An
unknown code gets a 404 page and a retired one a 410 page that say so, never the plain form.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from minyi.appeals import attachments
from minyi.appeals.models import Appeal, Kind
from minyi.appeals.services import IntakeData
from minyi.directory.models import Channel, GridCell
from minyi.points import geo, services
from minyi.points.models import Point
from minyi.portal.forms import PortalSubmitForm
from minyi.portal.ratelimit import hit, with_retry_after
from minyi.portal.views import SUBMITS_PER_HOUR, _browser_caller
from minyi.workflow.services import CITIZEN

HOUR = 3600
NEAREST_SHOWN = 5
LISTED = 60


def _point(code: str) -> Point | None:
    return Point.objects.select_related("owner__market", "grid__parent", "department").filter(code=code[:24]).first()


def _gone(request: HttpRequest, point: Point | None) -> HttpResponse:
    status = 404 if point is None else 410
    return render(request, "points/gone.html", {"point": point}, status=status)


def _initial(point: Point) -> dict[str, Any]:
    initial: dict[str, Any] = {"idempotency_key": uuid.uuid4().hex, "grid": point.grid, "address": point.address or point.name}
    if point.lat is not None and point.lng is not None:
        initial.update(lat=float(point.lat), lng=float(point.lng))
    if point.kind == Point.Kind.SCALE:
        initial.update(kind=Kind.COMPLAINT, title=gettext("缺斤短两：%(owner)s") % {"owner": point.owner or point.name})
    elif point.kind == Point.Kind.STAND:
        initial.update(kind=Kind.REPORT, title=gettext("随手拍：%(place)s附近") % {"place": point.name})
    else:
        initial.update(kind=Kind.COMPLAINT, title=gettext("%(kind)s：%(name)s") % {"kind": point.get_kind_display(), "name": point.name})
    return initial


def scan(request: HttpRequest, code: str) -> HttpResponse:
    point = _point(code)
    if point is None or not point.active:
        return _gone(request, point)
    context: dict[str, Any] = {"point": point, "nav": geo.nav_link(point)}
    if point.kind == Point.Kind.SERVICE:
        return render(request, "points/scan.html", context)  # a service point's code: its guide, no report form
    if request.method == "POST":
        form = PortalSubmitForm(request.POST, request.FILES)
        if not hit(request, "portal-submit", limit=SUBMITS_PER_HOUR, window_s=HOUR):
            return with_retry_after(render(request, "points/scan.html", {**context, "form": form, "limited": True}, status=429), HOUR)
        if form.is_valid():
            data = form.cleaned_data
            intake = IntakeData(
                channel=Channel.objects.get(code="ssp"), title=data["title"], content=data["content"], kind=data["kind"],
                submitter_name=data["name"], phone=data["phone"], address=data["address"], grid=data["grid"] or point.grid,
                lat=data["lat"], lng=data["lng"],
            )  # fmt: skip
            try:
                for upload in data["photos"]:
                    attachments.check_upload(upload)
                with transaction.atomic():  # the report, its point and its photos stand or fall together
                    key = data["idempotency_key"] or None
                    appeal, created = services.report_at_point(point, intake, caller=_browser_caller(request), idempotency_key=key)
                    if created and data["photos"]:
                        attachments.attach_files(appeal, data["photos"], by=CITIZEN)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("photos", exc.messages)]:
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                request.session["portal_last"] = appeal.public_token
                return redirect("points:done", code=point.code, token=appeal.public_token)
        return render(request, "points/scan.html", {**context, "form": form}, status=400)
    _browser_caller(request)
    return render(request, "points/scan.html", {**context, "form": PortalSubmitForm(initial=_initial(point))})


def done(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The confirmation after a scanned report: its number, the point it is about, and where it went."""
    if request.session.get("portal_last") != token:
        return redirect("portal:track")
    appeal = Appeal.objects.select_related("department", "category", "point_link__point__owner__market").filter(public_token=token).first()
    if appeal is None or not hasattr(appeal, "point_link") or appeal.point_link.point.code != code:
        return redirect("portal:track")
    return render(request, "points/done.html", {"appeal": appeal, "point": appeal.point_link.point})


def service_map(request: HttpRequest) -> HttpResponse:
    """15 分钟政务服务圈: search by service, the nearest points to a chosen community, a navigation link each."""
    service = request.GET.get("service", "")
    query = request.GET.get("q", "").strip()[:40]
    near = request.GET.get("near", "")
    qs = Point.objects.filter(kind=Point.Kind.SERVICE, active=True).select_related("grid__parent")
    if service in Point.Service.values:
        qs = qs.filter(service=service)
    else:
        service = ""
    if query:
        qs = qs.filter(Q(name__contains=query) | Q(services__contains=query) | Q(address__contains=query))
    candidates = list(qs.order_by("grid__code", "name"))
    centres = geo.community_centres()
    chosen = centres.get(near)
    ranked = geo.nearest(candidates, chosen.lat, chosen.lng, NEAREST_SHOWN) if chosen else []
    communities = GridCell.objects.filter(level=GridCell.Level.COMMUNITY).select_related("parent").order_by("code")
    context = {
        "services": Point.Service.choices,
        "service": service,
        "service_label": dict(Point.Service.choices).get(service, gettext("服务网点")),
        "q": query,
        "near": near if chosen else "",
        "chosen": chosen,
        "communities": communities,
        "ranked": [{"point": p, "metres": round(m), "walk": max(1, round(m / 80)), "nav": geo.nav_link(p)} for p, m in ranked],
        "listed": [{"point": p, "nav": geo.nav_link(p)} for p in candidates[:LISTED]],
        "total": len(candidates),
        "svg": geo.schematic_svg(centres, candidates, chosen=near, ranked=ranked),
        "close_up": geo.close_up(centres, candidates, near, ranked),
        "legend": geo.legend([service] if service else list(Point.Service.values)),
    }
    return render(request, "points/service_map.html", context)
