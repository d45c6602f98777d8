"""Sealing never runs ahead of a transaction that holds a lower id and commits later (PostgreSQL)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from minyi.audit import chain
from minyi.audit.models import SecurityEvent
from minyi.audit.tests.helpers import events
from minyi.audit.verify import verify

INSERT = (
    "INSERT INTO audit_securityevent (at, kind, actor_label, ip, user_agent, target, outcome, details) "
    "VALUES (now(), 'login', 'late', '', '', '', 'ok', '{}') RETURNING id"
)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_late_commit_below_sealed_ids_is_sealed_in_order_not_reported() -> None:
    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']} dbname={settings['NAME']}"
    with psycopg.connect(dsn) as other:  # a second client: its transaction stays open
        late_id = other.execute(INSERT).fetchone()[0]  # type: ignore[index]
        [early] = events(1)  # commits at once, with a higher id
        assert early.pk > late_id
        assert chain.seal_chain(chain.SECURITY_EVENT) == 0  # the open transaction may still commit below it
        other.commit()
    assert chain.seal_chain(chain.SECURITY_EVENT) == 2
    assert list(SecurityEvent.objects.order_by("seal_seq").values_list("id", flat=True)) == [late_id, early.pk]
    report = verify()
    assert report.ok, report.findings
