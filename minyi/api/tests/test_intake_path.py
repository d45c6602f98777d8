"""The hotline's intake over the API is light: a bounded number of queries, one transaction for the appeal,
its audit rows and its outbox job; a revoked key stops working at once even when cached."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minyi.api import keys
from minyi.api.models import ApiKey
from minyi.appeals.models import Appeal
from minyi.jobs.models import Job
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role

pytestmark = pytest.mark.django_db


def _post(client: Client, raw: str, i: int) -> Any:
    body = {"channel": "12345", "title": f"明湖路路灯不亮{i}", "content": "明湖路一段路灯已经一周不亮，晚上出行不安全。", "phone": "13900000001"}
    return client.post("/api/v1/appeals", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=raw, HTTP_IDEMPOTENCY_KEY=f"k{i}")


def test_an_api_intake_costs_a_bounded_number_of_queries(client: Client, make_key: Callable[..., str], settings: Any) -> None:
    settings.MINYI_TRIAGE_SUGGEST_MODE = "async"
    settings.MINYI_JOBS_TRANSPORT = "inline"
    keys.forget_keys()
    raw = make_key("hotline", scopes=["appeals:read", "appeals:write"], role=Role.OPERATOR, department="sjj-12345")
    assert _post(client, raw, 0).status_code == 201  # warms the key, channel and webhook caches
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, raw, 1)
    assert response.status_code == 201
    # Key, roles, channel, subtree and webhook list come from per-process caches; the appeal is answered from
    # memory. Left: the idempotency look-up, the number, the appeal, two audit rows, the outbox job (+ BEGIN/COMMIT
    # and SAVEPOINTs where the backend writes them).
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))]
    assert len(statements) <= 7, statements
    appeal = Appeal.objects.get(number=response.json()["number"])
    assert list(AuditEvent.objects.filter(appeal=appeal).values_list("event", flat=True)) == ["register", "accept"]
    assert Job.objects.filter(topic="triage.suggest", payload__appeal_id=appeal.pk).count() == 1


def test_a_revoked_key_stops_at_once_in_every_process(client: Client, make_key: Callable[..., str]) -> None:
    raw = make_key("crm", scopes=["appeals:read"], role=Role.OPERATOR, department="sjj-12345")
    assert client.get("/api/v1/appeals", HTTP_X_API_KEY=raw).status_code == 200  # now cached in this process
    ApiKey.objects.filter(name="crm").update(active=False)  # as another process's revocation would …
    cache.set("minyi:api-keys-version", 123456789, timeout=None)  # … and the version it bumps in the shared cache
    assert client.get("/api/v1/appeals", HTTP_X_API_KEY=raw).status_code == 401
