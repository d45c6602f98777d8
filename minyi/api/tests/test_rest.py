"""REST API /api/v1: auth, scopes, rate limits, idempotent create, actions, uniform errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.api.models import ApiKey
from minyi.appeals.models import Appeal
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State
from minyi.workflow.policy import Role
from minyi.workflow.services import replay_state

pytestmark = pytest.mark.django_db

NEW = {
    "title": "青枫路夜间施工噪声",
    "content": "青枫路工地每天夜里十一点后还在施工，噪声很大影响休息。",
    "phone": "13812345678",
    "channel": "12345",
}


def call(client: Client, method: str, path: str, key: str | None = None, body: Any = None, **headers: str) -> Any:
    if key:
        headers["HTTP_X_API_KEY"] = key
    kwargs: dict[str, Any] = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "message_en", "fields"}
    assert data["message"]
    assert data["message_en"]
    if code:
        assert data["code"] == code
    return dict(data)


def test_openapi_is_served(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for action in ("dispatch", "claim", "reply", "return", "extend", "pause", "rate", "merge", "raise-priority"):
        assert f"/api/v1/appeals/{{number}}/{action}" in paths
    assert "/api/v1/stats" in paths
    assert "/api/v1/departments" in paths
    assert "/api/v1/categories" in paths


def test_no_key_is_401_and_bad_key_is_401(client: Client, make_key: Any) -> None:
    assert_error(call(client, "get", "/appeals"), 401, "unauthorized")
    assert_error(call(client, "get", "/appeals", key="mk_deadbeef_nope"), 401, "unauthorized")
    raw = make_key()
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert_error(call(client, "get", "/appeals", key=forged), 401)


def test_only_the_hash_is_stored(make_key: Any) -> None:
    raw = make_key("hashed")
    key = ApiKey.objects.get(name="hashed")
    assert raw not in (key.key_hash, key.prefix, key.scopes)
    assert len(key.key_hash) == 64
    assert raw.startswith(f"mk_{key.prefix}_")


def test_scope_is_enforced(client: Client, make_key: Any) -> None:
    raw = make_key("reader", scopes=["appeals:read"])
    assert call(client, "get", "/appeals", key=raw).status_code == 200
    assert_error(call(client, "post", "/appeals", key=raw, body=NEW), 403, "scope_missing")
    assert_error(call(client, "get", "/stats", key=raw), 403, "scope_missing")


def test_revoked_key_is_refused(client: Client, make_key: Any) -> None:
    raw = make_key("gone")
    ApiKey.objects.filter(name="gone").update(active=False)
    assert_error(call(client, "get", "/appeals", key=raw), 401)


def test_rate_limit_per_key(client: Client, make_key: Any) -> None:
    slow = make_key("slow", rate_limit=3)
    fast = make_key("fast", rate_limit=100)
    for _ in range(3):
        assert call(client, "get", "/departments", key=slow).status_code == 200
    limited = call(client, "get", "/departments", key=slow)
    assert_error(limited, 429, "rate_limited")
    assert 0 < int(limited["Retry-After"]) <= 60
    assert call(client, "get", "/departments", key=fast).status_code == 200  # other keys are unaffected


def test_create_is_idempotent(client: Client, make_key: Any) -> None:
    raw = make_key("hotline", role=Role.OPERATOR, department="sjj-12345")
    first = call(client, "post", "/appeals", key=raw, body=NEW, HTTP_IDEMPOTENCY_KEY="call-123")
    assert first.status_code == 201, first.content
    again = call(client, "post", "/appeals", key=raw, body=NEW, HTTP_IDEMPOTENCY_KEY="call-123")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    # The same key with a different body is a client bug, not a retry: 409, and nothing is created.
    changed = call(client, "post", "/appeals", key=raw, body={**NEW, "title": "changed"}, HTTP_IDEMPOTENCY_KEY="call-123")
    assert "幂等键" in assert_error(changed, 409, "idempotency_conflict")["message"]
    assert Appeal.objects.count() == 1
    appeal = Appeal.objects.get()
    assert appeal.state is State.PENDING_DISPATCH
    assert appeal.created_by.username == "api-hotline"


def test_create_validation_is_422_with_fields(client: Client, make_key: Any) -> None:
    raw = make_key()
    data = assert_error(call(client, "post", "/appeals", key=raw, body={**NEW, "content": "短", "phone": "12"}), 422, "invalid")
    assert set(data["fields"]) >= {"content", "phone"}
    data = assert_error(call(client, "post", "/appeals", key=raw, body={**NEW, "channel": "nope"}), 422, "invalid")
    assert "channel" in data["fields"]
    data = assert_error(call(client, "post", "/appeals", key=raw, body={"title": 5}), 422, "invalid_request")
    assert data["fields"]
    assert_error(call(client, "post", "/appeals", key=raw, body={**NEW, "title": "a\x00b"}), 422, "invalid_request")
    assert Appeal.objects.count() == 0


def test_full_loop_through_the_api(client: Client, make_key: Any) -> None:
    dispatcher = make_key("disp", role=Role.DISPATCHER, department="sjj-12345")
    handler = make_key("zjj", role=Role.HANDLER, department="zjj")
    operator = make_key("op", role=Role.OPERATOR, department="sjj-12345")
    number = call(client, "post", "/appeals", key=operator, body=NEW).json()["number"]
    assert (
        call(
            client, "post", f"/appeals/{number}/dispatch", key=dispatcher, body={"department": "zjj", "category": "cxjs-sz"}
        ).json()["status"]
        == "dispatched"
    )
    assert call(client, "post", f"/appeals/{number}/claim", key=handler).json()["status"] == "in_progress"
    extended = call(client, "post", f"/appeals/{number}/extend", key=handler, body={"days": 3, "reason": "需要协调施工单位"})
    assert extended.status_code == 200
    assert (
        call(client, "post", f"/appeals/{number}/pause", key=handler, body={"reason": "等待检测报告"}).json()["status"]
        == "suspended"
    )
    assert call(client, "post", f"/appeals/{number}/resume", key=handler, body={}).json()["status"] == "in_progress"
    replied = call(client, "post", f"/appeals/{number}/reply", key=handler, body={"reply": "已责令施工单位夜间停工"}).json()
    assert replied["status"] == "replied"
    assert replied["reply_text"] == "已责令施工单位夜间停工"
    assert call(client, "post", f"/appeals/{number}/approve-reply", key=operator, body={}).json()["status"] == "pending_callback"
    closed = call(client, "post", f"/appeals/{number}/rate", key=operator, body={"satisfaction": 5, "resolved": True}).json()
    assert closed["status"] == "closed"
    assert closed["satisfaction"] == 5
    appeal = Appeal.objects.get(number=number)
    assert replay_state(appeal) is appeal.state
    timeline = call(client, "get", f"/appeals/{number}/timeline", key=operator).json()
    events = [e["event"] for e in timeline if e["from_state"] != e["to_state"] or e["event"] == "request_extension"]
    assert events[:3] == ["register", "accept", "dispatch"]
    assert events[-1] == "close"


def test_action_errors_are_mapped(client: Client, make_key: Any, appeal_in: Any) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    handler = make_key("h", role=Role.HANDLER, department="zjj")
    admin = make_key("a")
    # The handler does not see an undispatched appeal of another department: 404.
    assert_error(call(client, "post", f"/appeals/{appeal.number}/claim", key=handler), 404, "not_found")
    # Wrong state: 409 with the machine's code.
    assert_error(call(client, "post", f"/appeals/{appeal.number}/claim", key=admin), 409, "not_allowed")
    # Guard: 409 with the guard's name.
    assert_error(call(client, "post", f"/appeals/{appeal.number}/return", key=admin, body={"reason": "  "}), 409)
    dispatched = appeal_in(State.DISPATCHED)
    # Role: an operator may not claim: 403.
    operator = make_key("o", role=Role.OPERATOR, department="sjj-12345")
    assert_error(call(client, "post", f"/appeals/{dispatched.number}/claim", key=operator), 403, "forbidden")
    assert_error(
        call(client, "post", f"/appeals/{dispatched.number}/dispatch", key=admin, body={"department": "none"}), 422, "invalid"
    )
    assert_error(call(client, "get", "/appeals/19990101-000001", key=admin), 404, "not_found")


def test_merge_and_return(client: Client, make_key: Any, appeal_in: Any) -> None:
    main, dup = appeal_in(State.PENDING_DISPATCH), appeal_in(State.PENDING_DISPATCH)
    admin = make_key()
    merged = call(client, "post", f"/appeals/{dup.number}/merge", key=admin, body={"into": main.number}).json()
    assert merged["status"] == "merged"
    assert merged["merged_into"] == main.number
    assert_error(call(client, "post", f"/appeals/{main.number}/merge", key=admin, body={"into": "nope"}), 422)
    dispatched = appeal_in(State.DISPATCHED)
    back = call(client, "post", f"/appeals/{dispatched.number}/return", key=admin, body={"reason": "不属于本部门职责"})
    assert back.status_code == 200
    # Straight back to the pool, or to the return review when the workflow has one.
    assert back.json()["status"] in ("pending_dispatch", "return_requested")


def test_raise_priority_shortens_the_reply_deadline_and_refuses_what_is_not_a_raise(client: Client, make_key: Any, appeal_in: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI), tick=False):  # Monday: 一般 is due next Monday
        dispatched, closed = appeal_in(State.DISPATCHED), appeal_in(State.CLOSED)
    dispatcher = make_key("disp", role=Role.DISPATCHER, department="sjj-12345")
    path = f"/appeals/{dispatched.number}/raise-priority"
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        raised = call(client, "post", path, key=dispatcher, body={"priority": "critical", "reason": "燃气泄漏"})
    assert raised.status_code == 200, raised.content
    assert raised.json()["priority"] == "critical"
    assert dt.datetime.fromisoformat(raised.json()["reply_due_at"]) == dt.datetime(2026, 3, 2, 12, tzinfo=SHANGHAI)  # 特急: 2 hours
    assert dispatched.audit.filter(event="priority_raised", reason="燃气泄漏").count() == 1
    again = assert_error(call(client, "post", path, key=dispatcher, body={"priority": "urgent", "reason": "重复"}), 422, "invalid")
    assert "priority" in again["fields"]
    blank = appeal_in(State.PENDING_DISPATCH)
    refused = call(client, "post", f"/appeals/{blank.number}/raise-priority", key=dispatcher, body={"priority": "urgent", "reason": "  "})
    assert "reason" in assert_error(refused, 422, "invalid")["fields"]
    late = call(client, "post", f"/appeals/{closed.number}/raise-priority", key=dispatcher, body={"priority": "urgent", "reason": "x"})
    assert_error(late, 409, "not_allowed")
    handler = make_key("zjj", role=Role.HANDLER, department="zjj")
    assert_error(call(client, "post", path, key=handler, body={"priority": "critical", "reason": "x"}), 403, "forbidden")
    reader = make_key("reader", scopes=["appeals:read"])
    assert_error(call(client, "post", path, key=reader, body={"priority": "critical", "reason": "x"}), 403, "scope_missing")
    assert Appeal.objects.get(pk=blank.pk).priority == "normal" and Appeal.objects.get(pk=closed.pk).priority == "normal"
    assert dispatched.audit.filter(event="priority_raised").count() == 1


def test_list_filters_and_scoping(client: Client, make_key: Any, appeal_in: Any) -> None:
    a, b = appeal_in(State.DISPATCHED), appeal_in(State.PENDING_DISPATCH)
    admin = make_key()
    everything = call(client, "get", "/appeals?page_size=1", key=admin).json()
    assert everything["count"] == 2
    assert len(everything["results"]) == 1
    assert [r["number"] for r in call(client, "get", "/appeals?status=dispatched", key=admin).json()["results"]] == [a.number]
    assert call(client, "get", "/appeals?department=zjj", key=admin).json()["count"] == 1
    assert call(client, "get", "/appeals?category=cxjs", key=admin).json()["count"] == 1
    assert call(client, "get", f"/appeals?q={b.number}", key=admin).json()["results"][0]["number"] == b.number
    assert call(client, "get", "/appeals?page=50", key=admin).json()["results"] == []
    other = make_key("cgj", role=Role.HANDLER, department="cgj")
    assert call(client, "get", "/appeals", key=other).json()["count"] == 0
    mine = make_key("zjj", role=Role.HANDLER, department="zjj")
    assert call(client, "get", "/appeals", key=mine).json()["count"] == 1
    assert_error(call(client, "get", "/appeals?page=0", key=admin), 422, "invalid_request")


def test_phone_is_masked_for_keys_without_pii_read(client: Client, make_key: Any, appeal_in: Any) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    leader = make_key("lead", role=Role.LEADER, department="mh")
    assert call(client, "get", f"/appeals/{appeal.number}", key=leader).json()["phone"] == "138****5678"
    admin = make_key("adm")  # even an admin's key: personal data is a scope of its own
    assert call(client, "get", f"/appeals/{appeal.number}", key=admin).json()["phone"] == "138****5678"
    pii = make_key("adm-pii", scopes=["appeals:read", "appeals:read-all", "pii:read"])
    assert call(client, "get", f"/appeals/{appeal.number}", key=pii).json()["phone"] == "13812345678"


def test_directory_and_stats(client: Client, make_key: Any, appeal_in: Any) -> None:
    appeal_in(State.CLOSED)
    raw = make_key()
    departments = call(client, "get", "/departments", key=raw).json()
    assert {"code": "zjj", "name": "区住房和城乡建设局", "kind": "bureau", "parent": "mh"} in departments
    categories = {c["code"]: c for c in call(client, "get", "/categories", key=raw).json()}
    assert categories["cxjs-sz-1"]["path"] == "城乡建设 / 市政设施 / 道路破损"
    assert categories["cxjs-sz-1"]["level"] == 3
    stats = call(client, "get", "/stats", key=raw).json()
    assert stats["total"] == 1
    assert stats["by_status"] == {"closed": 1}


def test_session_auth_for_the_web(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.DISPATCHED)
    client.force_login(people["handler"])
    assert client.get(f"/api/v1/appeals/{appeal.number}").json()["number"] == appeal.number
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(people["handler"])
    refused = csrf_client.post(f"/api/v1/appeals/{appeal.number}/claim", content_type="application/json")
    assert refused.status_code in (401, 403)  # a session write needs the CSRF token
    assert (
        client.post(f"/api/v1/appeals/{appeal.number}/claim", content_type="application/json").json()["status"] == "in_progress"
    )


def test_apikey_command_prints_the_key_once(client: Client, district: None, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    call_command("apikey", "create", "--name", "fixmystreet", "--scopes", "open311,appeals:read", "--rate-limit", "10")
    raw = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="fixmystreet")
    assert key.scope_set() == {"open311", "appeals:read"}
    assert key.rate_limit == 10
    assert raw not in str(list(ApiKey.objects.values_list()))
    assert call(client, "get", "/appeals", key=raw).status_code == 200
    call_command("apikey", "list")
    assert raw not in capsys.readouterr().out
    call_command("apikey", "revoke", "--name", "fixmystreet")
    assert call(client, "get", "/appeals", key=raw).status_code == 401


def test_unknown_path_is_a_json_404(client: Client) -> None:
    assert_error(client.get("/api/v1/nothing/here"), 404, "not_found")
