"""POST /api/v1/appeals:batch: each item its own intake, key and result; a resent batch creates nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minyi.api.batch import MAX_ITEMS
from minyi.api.tests.test_rest import NEW, assert_error, call
from minyi.appeals.models import Appeal
from minyi.audit.models import SecurityEvent
from minyi.jobs.models import Job
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role

pytestmark = pytest.mark.django_db


def items(n: int, prefix: str = "b") -> list[dict[str, Any]]:
    return [{**NEW, "title": f"{NEW['title']}（第{i}件）", "idempotency_key": f"{prefix}-{i}"} for i in range(n)]


def test_batch_creates_each_item_with_its_own_audit_and_suggestion_job(client: Client, make_key: Any, settings: Any) -> None:
    settings.MINYI_TRIAGE_SUGGEST_MODE = "async"  # production's mode: the suggestion is an outbox row of the intake
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    answer = call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(3)})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["count"], data["created"], data["replayed"], data["failed"]) == (3, 3, 0, 0)
    assert [r["index"] for r in data["results"]] == [0, 1, 2]
    assert [r["status"] for r in data["results"]] == [201, 201, 201]
    numbers = [r["appeal"]["number"] for r in data["results"]]
    assert len(set(numbers)) == 3
    assert data["results"][0]["appeal"]["phone"] != NEW["phone"]  # masked: this key has no pii:read
    assert Appeal.objects.count() == 3
    # The same guarantees as one POST /appeals each: audit rows per appeal, the AI suggestion in the outbox.
    assert set(AuditEvent.objects.values_list("appeal__number", flat=True)) == set(numbers)
    assert Job.objects.filter(topic="triage.suggest").count() == 3


def test_resending_a_batch_replays_stored_items_and_creates_only_the_missing(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    first = call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(2)}).json()
    again = call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(4)}).json()
    assert [r["status"] for r in again["results"]] == [200, 200, 201, 201]
    assert [r["appeal"]["number"] for r in again["results"][:2]] == [r["appeal"]["number"] for r in first["results"]]
    assert (again["created"], again["replayed"]) == (2, 2)
    assert Appeal.objects.count() == 4


def test_one_bad_item_fails_alone_with_a_chinese_error(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    batch = items(5)
    batch[1] = {**batch[1], "content": "短"}  # the model's validation
    batch[2] = {**batch[2], "title": "a\x00b"}  # NUL: refused by the schema
    del batch[3]["idempotency_key"]  # every item needs its own key
    batch[4] = {**batch[4], "channel": "nope"}
    data = call(client, "post", "/appeals:batch", key=raw, body={"appeals": batch}).json()
    statuses = [r["status"] for r in data["results"]]
    assert statuses == [201, 422, 422, 422, 422]
    assert data["failed"] == 4
    assert "content" in data["results"][1]["error"]["fields"]
    assert "title" in data["results"][2]["error"]["fields"]
    assert "idempotency_key" in data["results"][3]["error"]["fields"]
    assert "channel" in data["results"][4]["error"]["fields"]
    assert all(r["error"]["message"] and r["appeal"] is None for r in data["results"][1:])
    assert Appeal.objects.count() == 1


def test_a_reused_key_with_different_content_is_a_conflict_for_that_item(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(1)})
    changed = [{**items(1)[0], "title": "另一件事"}]
    data = call(client, "post", "/appeals:batch", key=raw, body={"appeals": changed}).json()
    assert data["results"][0]["status"] == 409
    assert data["results"][0]["error"]["code"] == "idempotency_conflict"
    assert Appeal.objects.count() == 1


def test_limits_scope_and_roles(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    assert_error(call(client, "post", "/appeals:batch", key=raw, body={"appeals": []}), 422, "invalid_request")
    assert_error(call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(MAX_ITEMS + 1)}), 422, "invalid_request")
    assert_error(call(client, "post", "/appeals:batch", key=raw, body={"appeals": "x"}), 422, "invalid_request")
    reader = make_key("reader", scopes=["appeals:read"], role=Role.OPERATOR, department="sjj-12345")
    assert_error(call(client, "post", "/appeals:batch", key=reader, body={"appeals": items(1)}), 403, "scope_missing")
    assert_error(call(client, "post", "/appeals:batch", body={"appeals": items(1)}), 401, "unauthorized")
    assert Appeal.objects.count() == 0


def test_a_pii_key_sees_the_batch_in_full_and_one_disclosure_is_logged(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", scopes=["appeals:write", "appeals:read", "pii:read"], role=Role.OPERATOR, department="sjj-12345")
    data = call(client, "post", "/appeals:batch", key=raw, body={"appeals": items(3)}).json()
    assert {r["appeal"]["phone"] for r in data["results"]} == {NEW["phone"]}
    assert SecurityEvent.objects.filter(kind="export_pii").count() == 1


def test_an_oversized_batch_is_refused_before_it_is_read(client: Client, make_key: Any) -> None:
    raw = make_key("upstream", role=Role.OPERATOR, department="sjj-12345")
    answer = client.post("/api/v1/appeals:batch", data="{}", content_type="application/json", HTTP_X_API_KEY=raw, CONTENT_LENGTH=str(11 * 1024 * 1024))
    assert_error(answer, 413, "payload_too_large")
