"""Liveness, readiness, Prometheus metrics and a request id: what operations watch.

- ``/healthz``: the process answers and reaches its database (liveness).
- ``/readyz``: database reachable, migrations applied, broker reachable when the
  transport is Celery (readiness; a load balancer takes traffic away on 503).
- ``/metrics``: Prometheus text format. Request latency per view is kept per process
  in ``prometheus_client``'s multiprocess directory (``PROMETHEUS_MULTIPROC_DIR``, set by
  ``minyi serve``) so every gunicorn worker is counted; queue depth, dead letters and
  periodic-work lag are read from the database at scrape time. Only addresses in
  ``MINYI_METRICS_ALLOW`` (default loopback) or a caller with ``MINYI_METRICS_TOKEN`` may read it.
- Every request gets an ``X-Request-ID`` (kept if the trusted proxy sent a sane one),
  which the JSON log lines carry.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

request_id: ContextVar[str] = ContextVar("minyi_request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

try:  # the web server's metrics; absent only in a broken install
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

    REQUESTS = Counter("minyi_http_requests_total", "HTTP requests by view and status class", ["view", "status"])
    LATENCY = Histogram(
        "minyi_http_request_duration_seconds", "Request latency by view", ["view"],
        buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
    )
except ImportError:  # pragma: no cover
    REQUESTS = LATENCY = None  # type: ignore[assignment]


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def readiness() -> dict[str, Any]:
    from django.db.migrations.executor import MigrationExecutor

    checks: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
    except Exception as exc:
        checks["database"] = f"unreachable: {exc.__class__.__name__}"
    if settings.MINYI_JOBS_TRANSPORT == "celery":
        try:
            from minyi.jobs.celery_app import app

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"unreachable: {exc.__class__.__name__}"
    checks["ok"] = all(v == "ok" for k, v in checks.items() if k != "ok")
    return checks


def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    return JsonResponse(checks, status=200 if checks["ok"] else 503)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = getattr(settings, "MINYI_METRICS_TOKEN", "")
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        peer = ipaddress.ip_address(str(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(net, strict=False) for net in settings.MINYI_METRICS_ALLOW)


def _gauge_lines() -> list[str]:
    """What the database knows: outbox depth and dead letters by topic, periodic work's age."""
    from django.db.models import Count, Min

    from minyi.jobs.models import Job, JobState, PeriodicLock

    lines = [
        "# HELP minyi_jobs Outbox jobs by topic and state (pending = queue depth, dead = failed for good)",
        "# TYPE minyi_jobs gauge",
    ]
    oldest = None
    for row in Job.objects.exclude(state=JobState.DONE).values("topic", "state").annotate(n=Count("id"), first=Min("created_at")):
        lines.append(f'minyi_jobs{{topic="{row["topic"]}",state="{row["state"]}"}} {row["n"]}')
        if row["state"] == JobState.PENDING and (oldest is None or row["first"] < oldest):
            oldest = row["first"]
    lines += [
        "# HELP minyi_jobs_oldest_pending_seconds Age of the oldest pending job",
        "# TYPE minyi_jobs_oldest_pending_seconds gauge",
        f"minyi_jobs_oldest_pending_seconds {(timezone.now() - oldest).total_seconds() if oldest else 0:.1f}",
        "# HELP minyi_periodic_lag_seconds Seconds since each periodic task last ran (SLA sweep lag among them)",
        "# TYPE minyi_periodic_lag_seconds gauge",
        "# HELP minyi_periodic_last_ok Whether the last run of each periodic task succeeded",
        "# TYPE minyi_periodic_last_ok gauge",
    ]
    now = timezone.now()
    for lock in PeriodicLock.objects.all():
        if lock.last_run_at is not None:
            lines.append(f'minyi_periodic_lag_seconds{{name="{lock.name}"}} {(now - lock.last_run_at).total_seconds():.1f}')
        if lock.last_ok is not None:
            lines.append(f'minyi_periodic_last_ok{{name="{lock.name}"}} {int(lock.last_ok)}')
    return lines


def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_read_metrics(request):
        return HttpResponse("指标只对监控网络开放 / metrics are for the monitoring network\n", status=403, content_type="text/plain; charset=utf-8")
    body = "\n".join(_gauge_lines()) + "\n"
    if REQUESTS is not None:
        import os

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            body += generate_latest(registry).decode()
        else:
            body += generate_latest().decode()
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")


class RequestMetricsMiddleware:
    """Request id in, request id out; latency and status class per view into the metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        if REQUESTS is not None:
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or "unnamed") if match is not None else "unmatched"
            LATENCY.labels(view).observe(time.perf_counter() - started)
            REQUESTS.labels(view, f"{response.status_code // 100}xx").inc()
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every log record (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
