"""What operations watch: liveness, readiness, metrics for the monitoring network only, a request id."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minyi.jobs import registry
from minyi.jobs.models import Job, JobState
from minyi.jobs.periodic import run_periodic

pytestmark = pytest.mark.django_db


def test_readyz_checks_database_and_migrations(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "migrations": "ok", "ok": True}


def test_readyz_reports_an_unreachable_broker(client: Client, settings: Any) -> None:
    from minyi.jobs.celery_app import app

    settings.MINYI_JOBS_TRANSPORT = "celery"
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unreachable")


def test_metrics_are_for_the_monitoring_network_or_a_token(client: Client, settings: Any) -> None:
    settings.MINYI_METRICS_ALLOW = ["10.9.0.0/24"]
    settings.MINYI_METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.9.0.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-token-123").status_code == 200


def test_metrics_show_queue_depth_dead_letters_lag_and_latency(client: Client, district: None) -> None:
    registry.enqueue("webhooks.deliver", {})
    Job.objects.create(topic="triage.suggest", payload={}, state=JobState.DEAD, available_at=Job.objects.get().available_at,
                       created_at=Job.objects.get().created_at)
    run_periodic("cockpit.refresh")
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert 'minyi_jobs{topic="webhooks.deliver",state="pending"} 1' in body
    assert 'minyi_jobs{topic="triage.suggest",state="dead"} 1' in body
    assert 'minyi_periodic_lag_seconds{name="cockpit.refresh"}' in body
    assert "minyi_http_request_duration_seconds_bucket" in body and 'view="healthz"' in body


def test_every_answer_carries_a_request_id(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    assert len(first) >= 8 and client.get("/healthz")["X-Request-ID"] != first
    assert client.get("/healthz", HTTP_X_REQUEST_ID="upstream-abc-123")["X-Request-ID"] == "upstream-abc-123"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<bad id>")["X-Request-ID"] != "<bad id>"


def test_json_log_lines_carry_the_request_id() -> None:
    import json
    import logging

    from pythonjsonlogger.json import JsonFormatter

    from minyi.core.observability import RequestIdFilter, request_id

    record = logging.LogRecord("minyi.test", logging.WARNING, __file__, 1, "出错了 %s", ("x",), None)
    token = request_id.set("req-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter("%(levelname)s %(name)s %(request_id)s %(message)s").format(record))
    assert line["request_id"] == "req-12345678" and line["message"] == "出错了 x"
