"""An upstream order becomes a local appeal: intake with an idempotency key from the upstream id, a link,
and the upstream's state honoured (an order already 办理中 upstream is dispatched and claimed here too)."""

from __future__ import annotations

from typing import Any

from minyi.appeals.models import Appeal, Kind, Priority, SubmitterType
from minyi.appeals.services import IntakeData, intake_appeal
from minyi.directory.models import Category, Channel, Department
from minyi.exchange.models import Link, Peer
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State

# How far along the upstream says the order is; the local appeal is brought there, never further back.
UPSTREAM_DISPATCHED = frozenset({"dispatched", "待签收", "已派单", "待派单"})
UPSTREAM_IN_PROGRESS = frozenset({"in_progress", "办理中", "已签收", "处理中"})


def _channel(peer: Peer) -> Channel:
    if peer.channel_id is not None and peer.channel is not None:
        return peer.channel
    channel = Channel.objects.filter(code="12345").first() or Channel.objects.filter(active=True).first()
    if channel is None:
        raise LookupError("本平台没有可用的来源渠道")
    return channel


def _department(peer: Peer, body: dict[str, Any], category: Category | None) -> Department | None:
    named = str(body.get("department") or "")
    if named and named in peer.department_map:
        code = str(peer.department_map[named])
    else:
        # A 承办单位 the upstream names that has the same name here comes before any default.
        same_name = Department.objects.filter(name=named, active=True).first() if named else None
        if same_name is not None:
            return same_name
        code = peer.map_department(str(body.get("category") or ""))
    if code == "@category":
        return category.default_department if category is not None else None
    return Department.objects.filter(code=code, active=True).first() if code else None


def intake_data(peer: Peer, body: dict[str, Any], order_id: str) -> IntakeData:
    category_code = peer.map_category(str(body.get("category") or ""))
    category = Category.objects.filter(code=category_code, active=True).first() if category_code else None
    kind = str(body.get("kind") or Kind.COMPLAINT)
    priority = str(body.get("priority") or Priority.NORMAL)
    submitter_type = str(body.get("submitter_type") or SubmitterType.PERSON)
    lat, lng = body.get("lat"), body.get("lng")
    return IntakeData(
        channel=_channel(peer),
        title=str(body.get("title") or "")[:200] or f"{peer.name}工单 {order_id}",
        content=str(body.get("content") or ""),
        kind=kind if kind in Kind.values else Kind.COMPLAINT,
        priority=priority if priority in Priority.values else Priority.NORMAL,
        submitter_type=submitter_type if submitter_type in SubmitterType.values else SubmitterType.PERSON,
        submitter_name=str(body.get("submitter_name") or ""),
        credit_code=str(body.get("credit_code") or "") if submitter_type == SubmitterType.ENTERPRISE else "",
        phone=str(body.get("phone") or ""),
        address=str(body.get("address") or ""),
        lat=float(lat) if lat is not None and lng is not None else None,
        lng=float(lng) if lat is not None and lng is not None else None,
        category=category,
        extra={"upstream": peer.code, "upstream_order": order_id},
    )


def receive_order(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    """Create (or re-open after a return) the local appeal for an upstream order; inside apply's transaction."""
    from minyi.exchange.incoming import _deadlines, actor_for

    actor = actor_for(peer)
    data = intake_data(peer, body, order_id)
    if link is None:
        appeal, _created = intake_appeal(data, by=actor, idempotency_key=order_id, caller=f"exchange:{peer.code}", accept=True)
        link, _ = Link.objects.get_or_create(peer=peer, order_id=order_id, defaults={"appeal": appeal, "direction": Link.Direction.IN})
        note = ""
    else:
        appeal = Appeal.objects.get(pk=link.appeal_id)
        if not link.active:
            Link.objects.filter(pk=link.pk).update(active=True)
            link.active = True
        note = "" if appeal.state is State.PENDING_DISPATCH else "工单已在本平台办理"
    _deadlines(link, body)
    department = _department(peer, body, data.category)
    upstream = str(body.get("status") or "")
    if appeal.state is State.PENDING_DISPATCH and department is not None:
        appeal = wf.perform(appeal, Event.DISPATCH, by=actor, department=department, category=data.category, reason="按对接对照自动派单")
    if upstream in UPSTREAM_IN_PROGRESS and appeal.state is State.DISPATCHED:
        appeal = wf.perform(appeal, Event.CLAIM, by=actor)
    return note
