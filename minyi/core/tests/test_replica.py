"""The cockpit reads from the replica when one is configured; writes and everything else stay on the primary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minyi.appeals.models import Appeal
from minyi.core.routers import ReplicaRouter, reading_from_replica

pytestmark = [
    pytest.mark.django_db(databases=["default", "replica"]),
    # Production replicas are PostgreSQL; two connections to SQLite's shared in-memory test database lock each other.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a replica alias needs PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _close_replica() -> Iterator[None]:
    yield
    connections["replica"].close()  # or the test database cannot be dropped at the end


def test_reads_inside_the_block_use_the_replica_and_writes_never_do(settings: Any) -> None:
    settings.MINYI_REPLICA_READS = True
    router = ReplicaRouter()
    assert router.db_for_read(Appeal) is None
    with reading_from_replica():
        assert router.db_for_read(Appeal) == "replica"
        assert router.db_for_write(Appeal) is None
    assert router.allow_migrate("replica", "appeals") is False and router.allow_migrate("default", "appeals") is True


def test_the_cockpit_page_queries_the_replica(client: Client, people: dict[str, Any], settings: Any) -> None:
    settings.MINYI_REPLICA_READS = True
    client.force_login(people["leader"])
    with CaptureQueriesContext(connections["replica"]) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        assert client.get("/cockpit/data?period=month").status_code == 200
    figures = [q["sql"] for q in on_replica.captured_queries if "cockpit" in q["sql"] or "appeals_appeal" in q["sql"]]
    assert figures, "the cockpit's figures should be read on the replica"
    assert not [q["sql"] for q in on_primary.captured_queries if "cockpit_" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")]


def test_without_a_replica_everything_reads_the_primary(settings: Any) -> None:
    settings.MINYI_REPLICA_READS = False
    with reading_from_replica():
        assert ReplicaRouter().db_for_read(Appeal) is None
