"""Hash chains with HMAC-SM3 and ``minyi audit verify``: every altered, deleted or inserted row is named."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from minyi.audit import chain
from minyi.audit.models import ChainAnchor, SecurityEvent
from minyi.audit.tests.helpers import disable_guard, events, raw
from minyi.audit.verify import verify
from minyi.conftest import intake
from minyi.workflow.history import AUDIT_COLUMNS, insert_rows
from minyi.workflow.models import SEAL_COLUMNS, AuditEvent


def _kinds(report: Any) -> list[tuple[str, str, int | None, int | None]]:
    """The findings about rows (the tests disable the guard first, which is a finding of its own)."""
    return [(f.table, f.kind, f.row_id, f.seal_seq) for f in report.findings if f.kind != "guard"]


@pytest.mark.django_db
def test_sealing_links_rows_in_id_order_and_verify_passes() -> None:
    rows = events(4)
    assert chain.seal_chain(chain.SECURITY_EVENT) == 4
    sealed = list(SecurityEvent.objects.order_by("id"))
    assert [e.seal_seq for e in sealed] == [1, 2, 3, 4]
    assert sealed[0].prev_hash == chain.GENESIS
    assert [e.prev_hash for e in sealed[1:]] == [e.row_hash for e in sealed[:-1]]
    assert [e.pk for e in sealed] == [e.pk for e in rows]
    report = verify()
    assert report.ok, report.findings
    assert "安全日志 4 行" in report.summary()
    assert chain.seal_chain(chain.SECURITY_EVENT) == 0  # nothing left


@pytest.mark.django_db
def test_appeal_audit_rows_from_every_insert_path_are_sealed(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])  # ORM create
    row = (appeal.pk, appeal.created_at, None, "系统", "triage", "pending_dispatch", "pending_dispatch", "", {"x": 1.5, "y": [1, "二"]})
    insert_rows(AuditEvent._meta.db_table, AUDIT_COLUMNS, [row])  # the bulk path: COPY on PostgreSQL
    report = verify()
    assert report.ok, report.findings
    assert not AuditEvent.objects.filter(seal_seq__isnull=True).exists()


@pytest.mark.django_db
def test_verify_names_a_row_altered_with_raw_sql() -> None:
    rows = events(3)
    chain.seal_all()
    disable_guard("audit_securityevent")
    raw("UPDATE audit_securityevent SET target = %s WHERE id = %s", ["篡改", rows[1].pk])
    report = verify()
    assert _kinds(report) == [("audit_securityevent", "altered", rows[1].pk, 2)]
    assert f"第 {rows[1].pk} 行（封存序号 2）的内容与封存时不符" in report.findings[-1].message


@pytest.mark.django_db
def test_verify_names_deleted_rows_in_the_middle_and_at_the_tail() -> None:
    rows = events(5)
    chain.seal_all()
    disable_guard("audit_securityevent")
    raw("DELETE FROM audit_securityevent WHERE id IN (%s, %s)", [rows[1].pk, rows[4].pk])
    report = verify()
    assert _kinds(report) == [("audit_securityevent", "deleted", rows[2].pk, 2), ("audit_securityevent", "deleted", None, 5)]
    assert "封存序号 2–2 的行已被删除" in report.findings[-2].message
    assert "链尾封存序号 5–5 的行已被删除" in report.findings[-1].message


@pytest.mark.django_db
def test_verify_names_a_row_slipped_in_below_sealed_rows() -> None:
    rows = events(3)
    chain.seal_all()
    forged_id = rows[0].pk - 1 if rows[0].pk > 1 else -1
    raw(
        "INSERT INTO audit_securityevent (id, at, kind, actor_label, ip, user_agent, target, outcome, details) "
        "VALUES (%s, %s, 'login', 'ghost', '', '', '', 'ok', '{}')",
        [forged_id, rows[0].at],
    )
    report = verify()  # the sealer leaves it alone: it is below the last sealed id
    assert _kinds(report) == [("audit_securityevent", "inserted", forged_id, None)]
    assert SecurityEvent.objects.get(pk=forged_id).seal_seq is None


@pytest.mark.django_db
def test_verify_names_a_row_whose_link_was_rewritten() -> None:
    rows = events(3)
    chain.seal_all()
    disable_guard("audit_securityevent")
    raw("UPDATE audit_securityevent SET prev_hash = %s WHERE id = %s", ["f" * 64, rows[2].pk])
    assert _kinds(verify()) == [("audit_securityevent", "inserted", rows[2].pk, 3), ("audit_securityevent", "altered", rows[2].pk, 3)]


@pytest.mark.django_db
def test_verify_refuses_another_key_and_a_forged_anchor(settings: Any) -> None:
    events(2)
    chain.seal_all()
    anchor = ChainAnchor.objects.get(table="audit_securityevent")
    disable_guard("audit_chainanchor")  # a superuser: the anchor table's trigger refuses a rollback
    ChainAnchor.objects.filter(pk=anchor.pk).update(last_seq=1)
    assert [f.kind for f in verify(seal=False).findings if f.kind != "guard"] == ["anchor", "inserted"]
    settings.MINYI_AUDIT_KEY = "another-key-another-key-another-key-42"
    kinds = {(f.table, f.kind) for f in verify().findings}
    assert ("audit_securityevent", "key") in kinds
    with pytest.raises(chain.ImproperlyKeyed):
        chain.seal_chain(chain.SECURITY_EVENT)


@pytest.mark.django_db
def test_verify_command_exit_status_and_json() -> None:
    rows = events(2)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "审计链完整" in out.getvalue()
    out = StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True
    disable_guard("audit_securityevent")
    raw("UPDATE audit_securityevent SET actor_label = 'x' WHERE id = %s", [rows[0].pk])
    out = StringIO()
    with pytest.raises(CommandError, match=r"审计链校验发现 \d+ 处问题") as failed:
        call_command("audit", "verify", "--json", stdout=out)
    assert failed.value.returncode == 1
    found = [(f["table"], f["kind"], f["row_id"], f["seal_seq"]) for f in json.loads(out.getvalue())["findings"]]
    assert ("audit_securityevent", "altered", rows[0].pk, 1) in found
    assert ("audit_securityevent", "guard", None, None) in found  # the disabled trigger is itself a finding
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out)
    assert f"安全日志（audit_securityevent）第 {rows[0].pk} 行（封存序号 1）的内容与封存时不符：已被改动。" in out.getvalue()


@pytest.mark.django_db
def test_seal_command_reports_counts() -> None:
    events(2)
    out = StringIO()
    call_command("audit", "seal", stdout=out)
    assert "audit_securityevent 2 行" in out.getvalue()


def test_each_chain_covers_every_column_of_its_table() -> None:
    """A column added to an audit table must be added to its chain (or consciously left out) here."""
    for item in chain.CHAINS:
        fields = {f.attname for f in item.model._meta.concrete_fields} - {"id", *SEAL_COLUMNS}
        assert set(item.columns) == fields, item.table


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers and a superuser's DISABLE TRIGGER")
@pytest.mark.django_db
def test_postgres_refuses_the_update_and_verify_names_it_once_triggers_are_disabled(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    chain.seal_all()
    row = AuditEvent.objects.filter(appeal=appeal).order_by("id").first()
    assert row is not None
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("UPDATE workflow_auditevent SET reason = '改写' WHERE id = %s", [row.pk])
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred check
    raw("ALTER TABLE workflow_auditevent DISABLE TRIGGER USER")
    raw("UPDATE workflow_auditevent SET reason = '改写' WHERE id = %s", [row.pk])
    findings = verify().findings
    assert ("workflow_auditevent", "altered", row.pk, row.seal_seq) in _kinds(verify())
    assert {f.kind for f in findings} == {"guard", "altered"}


@pytest.mark.django_db
def test_verify_names_a_back_dated_row_slipped_into_the_security_log() -> None:
    """Found by the independent re-probe: a forged "unlock" row dated months back was sealed and verified clean."""
    import datetime as dt

    from django.utils import timezone

    from minyi.audit import verify as verifying
    from minyi.audit.tests.helpers import events

    events(3)
    verifying.verify()
    forged = SecurityEvent.objects.create(at=timezone.now() - dt.timedelta(days=200), kind="unlock", actor_label="secadmin", ip="10.1.1.1")
    report = verifying.verify()
    assert not report.ok
    assert [f.kind for f in report.findings] == ["backdated"] and report.findings[0].row_id == forged.pk
