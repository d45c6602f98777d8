"""The exchange endpoints other platforms call (signed JSON), and the dispatcher's reconciliation page."""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from minyi.core.context import EXCHANGE_ROLES
from minyi.core.roles import roles_of
from minyi.exchange import protocol, services
from minyi.exchange.incoming import apply_events
from minyi.exchange.models import Mismatch, Peer

MAX_EVENTS = 1000


def _peer(request: HttpRequest) -> Peer | JsonResponse:
    """The calling peer, if its signature holds; otherwise the 401 to send."""
    code = request.headers.get("X-Minyi-Peer", "")
    peer = Peer.objects.filter(code=code, active=True).first() if code else None
    if peer is None:
        return JsonResponse({"error": "unknown peer"}, status=401)
    try:
        protocol.verify(
            peer.algorithm,
            peer.key,
            request.method or "GET",
            request.get_full_path(),
            request.headers.get("X-Minyi-Timestamp", ""),
            request.body,
            request.headers.get("X-Minyi-Signature", ""),
            now=time.time(),
        )
    except protocol.SignatureError as exc:
        return JsonResponse({"error": f"signature: {exc}"}, status=401)
    return peer


def _json(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> JsonResponse:
    """POST /exchange/v1/events {"events": [...]} → {"accepted": [event ids taken, in order]}."""
    peer = _peer(request)
    if isinstance(peer, JsonResponse):
        return peer
    data = _json(request)
    if data is None or not isinstance(data.get("events"), list) or len(data["events"]) > MAX_EVENTS:
        return JsonResponse({"error": 'body must be {"events": [...]} with at most 1000 events'}, status=400)
    events = [e for e in data["events"] if isinstance(e, dict)]
    return JsonResponse({"accepted": apply_events(peer, events)})


@csrf_exempt
@require_GET
def feed(request: HttpRequest) -> JsonResponse:
    """GET /exchange/v1/feed?after=N&limit=M → {"events": [...], "cursor": N, "more": bool}."""
    peer = _peer(request)
    if isinstance(peer, JsonResponse):
        return peer
    try:
        after, limit = int(request.GET.get("after", "0")), int(request.GET.get("limit", "500"))
    except ValueError:
        return JsonResponse({"error": "after and limit must be integers"}, status=400)
    return JsonResponse(services.feed(peer, after, limit))


@csrf_exempt
@require_POST
def ack(request: HttpRequest) -> JsonResponse:
    """POST /exchange/v1/ack {"cursor": N, "event_ids": [...]} → {"acknowledged": n}."""
    peer = _peer(request)
    if isinstance(peer, JsonResponse):
        return peer
    data = _json(request)
    if data is None or not isinstance(data.get("event_ids", []), list):
        return JsonResponse({"error": 'body must be {"cursor": N, "event_ids": [...]}'}, status=400)
    try:
        cursor = int(data.get("cursor", 0))
    except (TypeError, ValueError):
        return JsonResponse({"error": "cursor must be an integer"}, status=400)
    return JsonResponse({"acknowledged": services.acknowledge(peer, cursor, [str(x) for x in data.get("event_ids", [])])})


@csrf_exempt
@require_POST
def states(request: HttpRequest) -> JsonResponse:
    """POST /exchange/v1/states {"orders": [...]} → {"orders": {order_id: {state, reply, satisfaction, pending}}}."""
    peer = _peer(request)
    if isinstance(peer, JsonResponse):
        return peer
    data = _json(request)
    if data is None or not isinstance(data.get("orders"), list):
        return JsonResponse({"error": 'body must be {"orders": [...]}'}, status=400)
    return JsonResponse({"orders": services.states(peer, [str(x) for x in data["orders"]])})


def _dispatcher(request: HttpRequest) -> HttpResponse | None:
    if not roles_of(request.user) & EXCHANGE_ROLES:  # as the navigation link (minyi.core.context)
        return HttpResponseForbidden(gettext("您的角色不能查看对接核对"))
    return None


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    if (denied := _dispatcher(request)) is not None:
        return denied
    rows = list(services.open_mismatches()[:200])
    recent = list(Mismatch.objects.filter(resolved_at__isnull=False).select_related("peer", "resolved_by")[:20])
    return render(request, "exchange/reconciliation.html", {"rows": rows, "recent": recent, "peers": services.status()})


@login_required
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if (denied := _dispatcher(request)) is not None:
        return denied
    mismatch = get_object_or_404(Mismatch, pk=pk)
    try:
        services.resolve_mismatch(mismatch, by=request.user, note=request.POST.get("resolution", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, gettext("已记录处理结果"))
    return redirect("exchange:reconciliation")
