"""Open311 GeoReport v2 at /open311/v2/, in XML and JSON, plus mySociety's servicerequestupdates.

Services are the leaves of the category tree (grouped by their level-1 category).
POST requests needs an API key with the ``open311`` scope; the appeal is taken in
through ``intake_appeal`` as the key's service user, on the key's channel (or
``MINYI_OPEN311_CHANNEL``, 随手拍 by default). Updates are the audit trail, so a
FixMyStreet install can poll what happened; its own updates come back as notes.

Reads are public unless ``MINYI_OPEN311_PUBLIC_READ`` is off. Without a key they show
what a public map may show (``minyi.appeals.disclosure``): open-data channels only,
no 举报, the appeal's ``public_token`` as its id (never the sequential number), the
category instead of the citizen's text, the community instead of the address,
coordinates to 0.01°, the reply only when marked public; and each client address may
look up ``MINYI_OPEN311_PUBLIC_READS_PER_MINUTE`` times a minute. With a key the reads
are the key's appeals (``minyi.api.access``), masked unless it has ``pii:read``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import xml.etree.ElementTree as ET
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from minyi.api import access
from minyi.api.keys import RateLimited, check_rate, find_key, note_bad_key, refuse_blocked_address
from minyi.api.models import ApiKey
from minyi.appeals import disclosure, services
from minyi.appeals.models import Appeal, Kind
from minyi.directory.models import Category, Channel
from minyi.portal.ratelimit import hit, retry_after
from minyi.triage.pii import mask_pii
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import EVENT_LABELS, Event, State
from minyi.workflow.models import AuditEvent

CLOSED_STATES = {State.CLOSED.value, State.REJECTED.value, State.MERGED.value}
NOTE_KIND = "open311_update"
MAX_RESULTS = 1000
PUBLIC_READ_WINDOW_S = 60
# mySociety status values for each of our states (anything else reads as IN_PROGRESS).
UPDATE_STATUS = {
    State.REGISTERED: "OPEN",
    State.PENDING_DISPATCH: "OPEN",
    State.DISPATCHED: "ACTION_SCHEDULED",
    State.IN_PROGRESS: "IN_PROGRESS",
    State.SUSPENDED: "INVESTIGATING",
    State.REPLIED: "IN_PROGRESS",
    State.PENDING_CALLBACK: "FIXED",
    State.CLOSED: "CLOSED",
    State.REJECTED: "NO_FURTHER_ACTION",
    State.MERGED: "DUPLICATE",
}
PUBLIC_EVENTS = [e.value for e in Event if e not in (Event.REQUEST_EXTENSION, Event.APPROVE_EXTENSION, Event.DENY_EXTENSION, Event.REJECT_REPLY)]


class Open311Error(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


# ---- rendering -----------------------------------------------------------------------


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_value(child, name[:-1] if name.endswith("s") else "item", item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(child, key, inner)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def render(fmt: str, root: str, item: str, data: Any, status: int = 200) -> HttpResponse:
    """JSON as given; XML as <root><item>…</item>…</root> (or <root>…</root> for a single object)."""
    if fmt == "json":
        return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        node = ET.SubElement(top, item) if item else top
        for key, value in entry.items():
            _xml_value(node, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _error(fmt: str, exc: Open311Error) -> HttpResponse:
    response = render(fmt, "errors", "error", [{"code": exc.status, "description": exc.description}], status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _w3c(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _parse_w3c(value: str, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise Open311Error(400, f"{name} 须为 W3C 时间格式，如 2026-01-01T00:00:00+08:00") from None


def _days_before(moment: dt.datetime, days: int) -> dt.datetime:
    try:
        return moment - dt.timedelta(days=days)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


def _param(request: HttpRequest, name: str) -> str:
    value = (request.POST if request.method == "POST" else request.GET).get(name, "")
    if "\x00" in value:
        raise Open311Error(400, f"{name} 含有无效字符")
    return value.strip()


# ---- auth ----------------------------------------------------------------------------


def _key(request: HttpRequest, *, required: bool) -> ApiKey | None:
    raw = _param(request, "api_key") or request.headers.get("X-API-Key", "")
    try:
        if raw:
            refuse_blocked_address(request)  # too many wrong keys from here this minute: a right one waits too
        key = find_key(raw) if raw else None
        if raw and key is None:
            note_bad_key(request, raw)  # logged (once a minute per address) and counted towards the 429
    except RateLimited as exc:
        raise Open311Error(429, f"错误的 api_key 过多，请 {exc.retry_after} 秒后再试 (too many invalid keys)", retry_after=exc.retry_after) from None
    if raw and key is None:
        raise Open311Error(403, "api_key 无效 (invalid api_key)")
    if key is None:
        if required or not getattr(settings, "MINYI_OPEN311_PUBLIC_READ", True):
            raise Open311Error(403, "需要有效的 api_key (api_key required)")
        # Anonymous look-ups count per client address: the ids are unguessable, and this keeps scraping slow too.
        limit = int(getattr(settings, "MINYI_OPEN311_PUBLIC_READS_PER_MINUTE", 30))
        if not hit(request, "open311-public-read", limit=limit, window_s=PUBLIC_READ_WINDOW_S):
            wait = retry_after(PUBLIC_READ_WINDOW_S)
            raise Open311Error(429, f"查询过于频繁，请 {wait} 秒后再试 (too many requests)", retry_after=wait)
        return None
    if "open311" not in key.scope_set():
        raise Open311Error(403, "该 api_key 没有 open311 权限范围 (api_key lacks the open311 scope)")
    try:
        check_rate(key)
    except RateLimited as exc:
        raise Open311Error(429, f"请求过于频繁，请 {exc.retry_after} 秒后重试 (rate limited)", retry_after=exc.retry_after) from None
    return key


def _handle(fmt: str, view: Any, request: HttpRequest, *args: Any) -> HttpResponse:
    try:
        return view(request, fmt, *args)  # type: ignore[no-any-return]
    except Open311Error as exc:
        return _error(fmt, exc)


# ---- discovery and services ----------------------------------------------------------


@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": "12345 政务服务便民热线",
        "key_service": "请联系区数据局 12345 热线分中心申请 api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-01-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    if fmt == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return render(fmt, "discovery", "", data)


def _leaves() -> list[Category]:
    rows = list(Category.objects.filter(active=True).select_related("parent__parent"))
    parents = {c.parent_id for c in rows if c.parent_id}
    return [c for c in rows if c.pk not in parents]


def _group(category: Category) -> str:
    node = category
    while node.parent is not None:
        node = node.parent
    return node.name


@require_GET
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    data = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.path(),
            "metadata": True,
            "type": "realtime",
            "keywords": c.parent.name if c.parent else "",
            "group": _group(c),
        }
        for c in _leaves()
    ]
    return render(fmt, "services", "service", data)


def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    def view(request: HttpRequest, fmt: str) -> HttpResponse:
        if not Category.objects.filter(code=code, active=True).exists():
            raise Open311Error(404, f"service_code {code} 不存在 (not found)")
        attribute = {
            "variable": True,
            "code": "kind",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "诉求类型",
            "order": 1,
            "description": "诉求类型（默认投诉）",
            "values": [{"key": value, "name": label} for value, label in Kind.choices],
        }
        data = {"service_code": code, "attributes": [attribute]}
        if fmt == "json":
            return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        return render(fmt, "service_definition", "", data)

    return _handle(fmt, view, request)


# ---- requests ------------------------------------------------------------------------


def _public_out(appeal: Appeal) -> dict[str, Any]:
    """What anyone may see: category, status, dates, the community and rounded coordinates; no words of the citizen."""
    closed = appeal.status in CLOSED_STATES
    category = appeal.category.name if appeal.category else ""
    return {
        "service_request_id": appeal.public_token,
        "status": "closed" if closed else "open",
        "status_notes": disclosure.public_reply(appeal) or appeal.status_label(),
        "service_name": category,
        "service_code": appeal.category.code if appeal.category else "",
        "description": category,
        "agency_responsible": "",
        "service_notice": "",
        "requested_datetime": _w3c(appeal.created_at),
        "updated_datetime": _w3c(appeal.updated_at),
        "expected_datetime": None,
        "address": disclosure.coarse_place(appeal),
        "address_id": "",
        "zipcode": "",
        "lat": disclosure.coarse_coordinate(appeal.lat),
        "long": disclosure.coarse_coordinate(appeal.lng),
        "media_url": "",
    }


def _request_out(appeal: Appeal, key: ApiKey | None) -> dict[str, Any]:
    if key is None:
        return _public_out(appeal)
    pii = access.sees_pii(key.user, key)
    closed = appeal.status in CLOSED_STATES
    reply = appeal.reply_text if pii else mask_pii(appeal.reply_text)
    place = {"address": appeal.address, "lat": appeal.lat, "long": appeal.lng}
    if not pii:
        masked = disclosure.masked_contact(appeal)
        place = {"address": masked["address"], "lat": masked["lat"], "long": masked["lng"]}
    return {
        "service_request_id": appeal.number,
        "status": "closed" if closed else "open",
        "status_notes": reply if closed and reply else appeal.status_label(),
        "service_name": appeal.category.name if appeal.category else "",
        "service_code": appeal.category.code if appeal.category else "",
        "description": appeal.content if pii else mask_pii(appeal.content),
        "agency_responsible": appeal.department.name if appeal.department else "",
        "service_notice": "",
        "requested_datetime": _w3c(appeal.created_at),
        "updated_datetime": _w3c(appeal.updated_at),
        "expected_datetime": _w3c(appeal.reply_due_at),
        "address": place["address"],
        "address_id": "",
        "zipcode": "",
        "lat": float(place["lat"]) if place["lat"] is not None else None,
        "long": float(place["long"]) if place["long"] is not None else None,
        "media_url": "",
    }


def _readable(key: ApiKey | None) -> QuerySet[Appeal]:
    qs = access.readable(key.user, key) if key is not None else disclosure.public_appeals()
    return qs.select_related("category", "department", "grid__parent")


def _by_id(qs: QuerySet[Appeal], key: ApiKey | None, ids: list[str]) -> QuerySet[Appeal]:
    """Public readers name an appeal by its token; a key by its number."""
    return qs.filter(number__in=ids) if key is not None else qs.filter(public_token__in=ids)


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _key(request, required=False)
    qs = _readable(key)
    if ids := _param(request, "service_request_id"):
        qs = _by_id(qs, key, [i.strip() for i in ids.split(",") if i.strip()][:MAX_RESULTS])
    else:
        if codes := _param(request, "service_code"):
            qs = qs.filter(category__code__in=[c.strip() for c in codes.split(",")])
        if statuses := {s.strip().lower() for s in _param(request, "status").split(",") if s.strip()}:
            if statuses - {"open", "closed"}:
                raise Open311Error(400, "status 只能是 open 或 closed")
            if statuses == {"open"}:
                qs = qs.exclude(status__in=CLOSED_STATES)
            elif statuses == {"closed"}:
                qs = qs.filter(status__in=CLOSED_STATES)
        start, end = _param(request, "start_date"), _param(request, "end_date")
        end_at = _parse_w3c(end, "end_date") if end else timezone.now()
        start_at = _parse_w3c(start, "start_date") if start else _days_before(end_at, 90)
        if start_at > end_at:
            raise Open311Error(400, "start_date 不能晚于 end_date")
        qs = qs.filter(created_at__gte=start_at, created_at__lte=end_at)
    rows = list(qs.order_by("-created_at", "-id")[:MAX_RESULTS])
    if key is not None and access.key_sees_pii(key):
        access.record_disclosure(request, key, [a.number for a in rows], listing=True)
    return render(fmt, "service_requests", "request", [_request_out(a, key) for a in rows])


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _key(request, required=True)
    assert key is not None
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, "缺少 service_code (service_code was not provided)")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(400, f"service_code {code} 不存在 (service_code not found)")
    lat, lng, address = _param(request, "lat"), _param(request, "long"), _param(request, "address_string")
    if not ((lat and lng) or address or _param(request, "address_id")):
        raise Open311Error(400, "须提供位置：lat 和 long，或 address_string (a location is required)")
    try:
        lat_f, lng_f = (float(lat), float(lng)) if lat and lng else (None, None)
    except ValueError:
        raise Open311Error(400, "lat/long 须为数字 (lat/long must be numbers)") from None
    description = _param(request, "description")
    channel_code = key.channel_code or getattr(settings, "MINYI_OPEN311_CHANNEL", "ssp")
    channel = Channel.objects.filter(code=channel_code).first()
    if channel is None:
        raise Open311Error(400, f"渠道 {channel_code} 未配置")
    kind = _param(request, "attribute[kind]") or Kind.COMPLAINT
    name = " ".join(p for p in (_param(request, "last_name"), _param(request, "first_name")) if p)
    data = services.IntakeData(
        channel=channel,
        title=f"{category.name}：{description[:40]}" if description else category.name,
        content=description,
        kind=kind,
        submitter_name=name[:80],
        phone=_param(request, "phone"),
        address=address[:200],
        lat=lat_f,
        lng=lng_f,
        category=category,
    )
    external = _param(request, "attribute[fixmystreet_id]") or request.headers.get("Idempotency-Key", "")
    try:
        appeal, _ = services.intake_appeal(
            data, by=key.user, idempotency_key=external or None, caller=f"open311:{key.prefix}", accept=not channel.public
        )
    except services.IdempotencyConflict:
        message = gettext(services.IDEMPOTENCY_CONFLICT_API)
        raise Open311Error(409, f"{message} (this id was already used for a different request)") from None
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"description": exc.messages}
        raise Open311Error(400, "；".join(f"{k}: {m}" for k, ms in fields.items() for m in ms)) from None
    out = [{"service_request_id": appeal.number, "service_notice": f"已登记，编号 {appeal.number}", "account_id": None}]
    return render(fmt, "service_requests", "request", out, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    return _handle(fmt, _create if request.method == "POST" else _list, request)


@require_GET
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    def view(request: HttpRequest, fmt: str) -> HttpResponse:
        key = _key(request, required=False)
        appeal = _by_id(_readable(key), key, [number]).first()
        if appeal is None:
            raise Open311Error(404, f"service_request_id {number} 不存在 (not found)")
        if key is not None and access.key_sees_pii(key):
            access.record_disclosure(request, key, [appeal.number], listing=False)
        return render(fmt, "service_requests", "request", [_request_out(appeal, key)])

    return _handle(fmt, view, request)


# ---- mySociety servicerequestupdates -------------------------------------------------


def _update_status(event: AuditEvent, resolved: bool | None) -> str:
    try:
        state = State(event.to_state)
    except ValueError:
        return "IN_PROGRESS"
    if state is State.CLOSED and resolved:
        return "FIXED"
    return UPDATE_STATUS.get(state, "IN_PROGRESS")


def public_update_id(token: str, audit_id: int) -> str:
    """Stable for the same update, unguessable, and unordered across appeals."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"open311-update:{token}:{audit_id}".encode(), hashlib.sha256).hexdigest()
    return f"{token}-{digest[:12]}"


def _updates(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _key(request, required=False)
    start, end = _param(request, "start_date"), _param(request, "end_date")
    end_at = _parse_w3c(end, "end_date") if end else timezone.now()
    start_at = _parse_w3c(start, "start_date") if start else _days_before(end_at, 1)
    visible = _readable(key).values("pk")
    events = (
        AuditEvent.objects.filter(appeal_id__in=visible, at__gte=start_at, at__lte=end_at, event__in=PUBLIC_EVENTS)
        .select_related("appeal")
        .order_by("at", "id")[:MAX_RESULTS]
    )
    pii = key is not None and access.sees_pii(key.user, key)
    data = []
    for event in events:
        appeal = event.appeal
        label = EVENT_LABELS.get(Event(event.event), event.event)
        if key is None:  # the public sees what happened, not the reasons staff wrote, and a reply only when marked public
            text = disclosure.public_reply(appeal) if event.event == Event.REPLY.value else ""
        else:
            text = appeal.reply_text if event.event == Event.REPLY.value and appeal.reply_text else event.reason
            text = text if pii else mask_pii(text)
        data.append(
            {
                # The public gets an opaque id: sequential audit ids would tell the platform's whole activity volume.
                "update_id": str(event.pk) if key is not None else public_update_id(appeal.public_token, event.pk),
                "service_request_id": appeal.number if key is not None else appeal.public_token,
                "status": _update_status(event, appeal.resolved),
                "updated_datetime": _w3c(event.at),
                "description": f"{label}：{text}" if text else label,
                "media_url": "",
            }
        )
    return render(fmt, "service_requests_updates", "request_update", data)


def _post_update(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _key(request, required=True)
    assert key is not None
    number = _param(request, "service_request_id")
    appeal = access.readable(key.user, key).filter(number=number).first() if number else None
    if appeal is None:
        raise Open311Error(400, f"service_request_id {number or '(空)'} 不存在 (not found)")
    description = _param(request, "description")
    if len(description) < 2:
        raise Open311Error(400, "缺少 description (description is required)")
    external = _param(request, "update_id")
    existing = None
    if external:
        existing = AuditEvent.objects.filter(appeal=appeal, event=NOTE_KIND, payload__external_update_id=external).first()
    if existing is None:
        name = " ".join(p for p in (_param(request, "last_name"), _param(request, "first_name")) if p)
        payload = {"external_update_id": external, "status": _param(request, "status").upper()[:40], "name": name[:80]}
        existing = wf.record_note(appeal, by=key.user, kind=NOTE_KIND, reason=description[:5000], payload=payload)
    return render(fmt, "service_request_updates", "request_update", [{"update_id": str(existing.pk)}], status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def updates_view(request: HttpRequest, fmt: str) -> HttpResponse:
    return _handle(fmt, _post_update if request.method == "POST" else _updates, request)

