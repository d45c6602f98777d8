"""Exactly-once application, outbound events in the action's transaction, cursor/ack, mismatches, deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from minyi.appeals import services as a
from minyi.appeals.models import Appeal
from minyi.exchange import incoming, services
from minyi.exchange.models import InboundEvent, Link, Mismatch, OutboundEvent, Peer
from minyi.exchange.tests.conftest import order_event
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent
from minyi.workflow.services import SYSTEM

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def _monday() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_an_order_applies_once_whatever_the_retries(upstream: Peer) -> None:
    assert incoming.apply_event(upstream, order_event()) == "applied"
    assert incoming.apply_event(upstream, order_event()) == "duplicate"
    # The same order under a new event id (the upstream re-sent it): still one appeal.
    assert incoming.apply_event(upstream, order_event(event_id="e-2")) == "ignored"
    link = Link.objects.get()
    assert Appeal.objects.count() == 1 and InboundEvent.objects.count() == 2
    appeal = link.appeal
    assert appeal.state is State.DISPATCHED and appeal.department is not None and appeal.department.code == "hbj"
    assert appeal.idempotency_key == "exchange:city:20261201-000007"
    assert AuditEvent.objects.filter(appeal=appeal, event="dispatch").count() == 1
    assert not OutboundEvent.objects.exists()  # applying a peer's event is not echoed back to it


def test_the_stricter_deadline_wins(upstream: Peer) -> None:
    upstream_due = NOW + dt.timedelta(days=2)
    incoming.apply_event(upstream, order_event(reply_due_at=upstream_due.isoformat(), claim_due_at=(NOW + dt.timedelta(hours=2)).isoformat()))
    appeal = Link.objects.get().appeal
    assert appeal.reply_due_at == upstream_due  # local 一般 budget is 5 working days: the city's 2 days win
    assert appeal.claim_due_at == NOW + dt.timedelta(hours=2)
    assert appeal.reply_warn_at is not None and appeal.reply_warn_at <= upstream_due


def test_a_later_local_deadline_is_kept_when_it_is_stricter(upstream: Peer) -> None:
    incoming.apply_event(upstream, order_event(reply_due_at=(NOW + dt.timedelta(days=30)).isoformat()))
    appeal = Link.objects.get().appeal
    assert appeal.reply_due_at is not None and appeal.reply_due_at < NOW + dt.timedelta(days=10)


def test_an_order_already_in_progress_upstream_is_claimed_here(upstream: Peer) -> None:
    incoming.apply_event(upstream, order_event(status="办理中"))
    assert Link.objects.get().appeal.state is State.IN_PROGRESS


def test_local_steps_become_events_in_the_same_transaction(upstream: Peer) -> None:
    incoming.apply_event(upstream, order_event())
    appeal = Link.objects.get().appeal
    seen: list[int] = []

    def claim_then_fail() -> None:
        with transaction.atomic():
            a.claim_appeal(appeal, by=SYSTEM)
            seen.append(OutboundEvent.objects.filter(kind="claimed").count())
            raise RuntimeError("the action fails after the claim")

    with pytest.raises(RuntimeError):
        claim_then_fail()
    assert seen == [1]
    assert not OutboundEvent.objects.exists()
    a.claim_appeal(appeal, by=SYSTEM)
    a.request_extension(appeal, days=3, reason="需协调多个部门", by=SYSTEM)
    events = list(OutboundEvent.objects.order_by("id"))
    assert [e.kind for e in events] == ["claimed", "extension_requested"]
    assert events[1].body["days"] == 3 and events[1].order_id == "20261201-000007"
    assert len({e.event_id for e in events}) == 2


def test_city_side_dispatch_to_the_remote_platform_sends_the_order(downstream: Peer, appeal_in: Any) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    assert downstream.department is not None
    a.dispatch_appeal(appeal, downstream.department, by=SYSTEM)
    event = OutboundEvent.objects.get()
    assert event.kind == "order" and event.order_id == appeal.number
    assert event.body["content"] == appeal.content and event.body["reply_due_at"]
    assert Link.objects.get().direction == Link.Direction.OUT
    # The district claims and returns: applied here through the named actions.
    assert incoming.apply_event(downstream, {"event_id": "d-1", "kind": "claimed", "order_id": appeal.number, "body": {"state": "in_progress"}}) == "applied"
    assert (
        incoming.apply_event(downstream, {"event_id": "d-2", "kind": "return_requested", "order_id": appeal.number, "body": {"reason": "不属本区"}})
        == "applied"
    )
    appeal.refresh_from_db()
    assert appeal.state is State.RETURN_REQUESTED
    a.reject_return(appeal, reason="属于该区管辖", by=SYSTEM)
    assert list(OutboundEvent.objects.order_by("id").values_list("kind", flat=True)) == ["order", "return_refused"]


def test_upstream_closed_while_local_in_progress_is_a_mismatch_not_an_overwrite(upstream: Peer) -> None:
    incoming.apply_event(upstream, order_event())
    appeal = Link.objects.get().appeal
    a.claim_appeal(appeal, by=SYSTEM)
    outcome = incoming.apply_event(
        upstream, {"event_id": "e-9", "kind": "rated", "order_id": "20261201-000007", "body": {"state": "closed", "satisfaction": 5}}
    )
    assert outcome == "mismatch"
    appeal.refresh_from_db()
    assert appeal.state is State.IN_PROGRESS
    mismatch = Mismatch.objects.get()
    assert (mismatch.local_state, mismatch.remote_state) == ("in_progress", "closed")
    assert incoming.apply_event(upstream, {"event_id": "e-9", "kind": "rated", "order_id": "20261201-000007", "body": {}}) == "duplicate"
    assert Mismatch.objects.count() == 1


def test_unknown_orders_and_kinds(upstream: Peer) -> None:
    assert incoming.apply_event(upstream, {"event_id": "x", "kind": "claimed", "order_id": "nope", "body": {}}) == "mismatch"
    assert incoming.apply_event(upstream, {"event_id": "y", "kind": "teleported", "order_id": "nope", "body": {}}) == "ignored"


def test_feed_cursor_and_explicit_ack(downstream: Peer) -> None:
    now = NOW
    rows = [OutboundEvent.objects.create(peer=downstream, kind="progress", order_id=f"o{i}", body={}, created_at=now) for i in range(5)]
    page = services.feed(downstream, 0, limit=2)
    assert [e["order_id"] for e in page["events"]] == ["o0", "o1"] and page["more"] and page["cursor"] == rows[1].pk
    page2 = services.feed(downstream, page["cursor"], limit=10)
    assert [e["order_id"] for e in page2["events"]] == ["o2", "o3", "o4"] and not page2["more"]
    # Acknowledge only what was applied (o1 failed there): it stays in the backlog for the next round.
    ids = [e["event_id"] for e in page["events"] + page2["events"] if e["order_id"] != "o1"]
    assert services.acknowledge(downstream, page2["cursor"], ids) == 4
    assert [e["order_id"] for e in services.feed(downstream, 0)["events"]] == ["o1"]
    # An ack beyond the cursor it names acknowledges nothing past it.
    assert services.acknowledge(downstream, rows[0].pk, [str(rows[1].event_id)]) == 0
    assert services.status()[0].backlog == 1


def test_resolving_a_mismatch_is_recorded(upstream: Peer, people: dict[str, Any]) -> None:
    incoming.apply_event(upstream, order_event())
    incoming.apply_event(upstream, {"event_id": "e-9", "kind": "return_refused", "order_id": "20261201-000007", "body": {"state": "dispatched"}})
    mismatch = Mismatch.objects.get()
    with pytest.raises(Exception, match="请说明"):
        services.resolve_mismatch(mismatch, by=people["dispatcher"], note=" ")
    services.resolve_mismatch(mismatch, by=people["dispatcher"], note="电话核实后上级已撤回驳回")
    mismatch.refresh_from_db()
    assert mismatch.resolved_at is not None and mismatch.resolved_by == people["dispatcher"]
    assert AuditEvent.objects.filter(event="exchange_mismatch_resolved").count() == 1


def test_reconciliation_page(upstream: Peer, people: dict[str, Any], client: Any) -> None:
    incoming.apply_event(upstream, order_event())
    incoming.apply_event(upstream, {"event_id": "e-9", "kind": "rated", "order_id": "20261201-000007", "body": {"state": "closed", "satisfaction": 5}})
    client.force_login(people["handler"])
    assert client.get("/exchange/reconciliation/").status_code == 403
    client.force_login(people["dispatcher"])
    page = client.get("/exchange/reconciliation/").content.decode()
    assert "对接核对" in page and "20261201-000007" in page and "13800138000" not in page
    mismatch = Mismatch.objects.get()
    client.post(f"/exchange/reconciliation/{mismatch.pk}/resolve", {"resolution": "已与市平台核实"})
    assert Mismatch.objects.get().resolved_at is not None


class FakeConnector:
    def __init__(self, answer: dict[str, dict[str, Any]]) -> None:
        self.answer = answer

    def states(self, order_ids: Any) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.answer.items() if k in order_ids}


def test_reconcile_records_differences_once_and_skips_orders_in_flight(upstream: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in (1, 2, 3):
        incoming.apply_event(upstream, order_event(order_id=f"O-{n}", event_id=f"e-{n}"))
    a.claim_appeal(Link.objects.get(order_id="O-3").appeal, by=SYSTEM)  # its 签收 is still on its way up
    answer = {
        "O-1": {"state": "in_progress", "pending": False},  # same phase: fine
        "O-2": {"state": "closed", "pending": False, "satisfaction": 5},  # closed there, open here
        "O-3": {"state": "closed", "pending": False},
    }
    monkeypatch.setattr(services, "connector_for", lambda peer: FakeConnector(answer))
    found = services.reconcile(upstream)
    assert [(m.order_id, m.local_state, m.remote_state) for m in found] == [("O-2", "dispatched", "closed")]
    assert services.reconcile(upstream) == []  # already listed for the dispatcher
    assert Link.objects.get(order_id="O-2").appeal.state is State.DISPATCHED  # nothing overwritten


def test_a_peer_cannot_rule_on_orders_it_handles(upstream: Peer) -> None:
    incoming.apply_event(upstream, order_event())  # the city's order: we handle it
    outcome = incoming.apply_event(upstream, {"event_id": "e-5", "kind": "claimed", "order_id": "20261201-000007", "body": {}})
    assert outcome == "mismatch"
    assert "方向" in Mismatch.objects.get().detail


def test_admin_never_shows_the_key_and_keeps_it_when_left_empty(upstream: Peer, client: Any, django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.org", "Root-passw0rd-long")
    client.force_login(root)
    page = client.get(f"/admin/exchange/peer/{upstream.pk}/change/")
    assert page.status_code == 200, page.status_code
    assert upstream.key not in page.content.decode()
