"""Schemathesis fuzzes every operation of /api/v1/openapi.json: no 5xx, every response conforms.

Runs in-process through WSGI inside the test's transaction, on SQLite and on PostgreSQL
(whichever DATABASE_URL the run uses). Positive cases draw appeal numbers from real
appeals in several states, so the actions run their guards and permission checks, not
only the 404 path. The total number of cases is printed and must reach 1,000.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Cases per operation: positive (valid inputs) and negative (inputs the schema forbids).
POSITIVE = int(os.environ.get("MINYI_SCHEMATHESIS_POSITIVE", "45"))
NEGATIVE = int(os.environ.get("MINYI_SCHEMATHESIS_NEGATIVE", "30"))
MIN_CASES = 1000 if (POSITIVE, NEGATIVE) == (45, 30) else 0


@pytest.fixture
def _keep_connection() -> Iterator[None]:
    """Calls go straight into the WSGI app: keep Django from closing the test's connection after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_connection")
def test_openapi_fuzzing(make_key: Any, appeal_in: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from minyi.wsgi import application

    numbers = [
        appeal_in(s).number
        for s in (State.PENDING_DISPATCH, State.DISPATCHED, State.IN_PROGRESS, State.REPLIED, State.PENDING_CALLBACK)
    ]
    headers = {"X-API-Key": make_key("fuzz", rate_limit=10**6)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    counts: dict[str, int] = {}
    statuses: dict[int, int] = {}

    def fuzz(operation: Any, mode: GenerationMode) -> None:
        @settings(
            max_examples=POSITIVE if mode is GenerationMode.POSITIVE else NEGATIVE,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def run(case: Any, data: st.DataObject) -> None:
            if mode is GenerationMode.POSITIVE and "number" in (case.path_parameters or {}) and data.draw(st.booleans()):
                case.path_parameters["number"] = data.draw(st.sampled_from(numbers))
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            counts[operation.label] = counts.get(operation.label, 0) + 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        with contextlib.suppress(Unsatisfiable):  # nothing negative to say about an operation without inputs
            run()

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(result.ok(), mode)

    total = sum(counts.values())
    with capsys.disabled():
        print(f"\nschemathesis: {total} cases over {len(counts)} operations, status codes {dict(sorted(statuses.items()))}")
    assert len(counts) >= 17  # every operation of the API
    assert not any(code >= 500 for code in statuses)
    assert total >= MIN_CASES
