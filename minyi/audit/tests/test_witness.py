"""Findings H5 and H6: a superuser who empties or rewrites an audit chain and deletes its anchor is caught.

The anchor table is guarded like the audit tables, PostgreSQL refuses TRUNCATE outside flush, and
every chain head the sealer reaches is witnessed outside the database (``minyi.audit.witness``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from minyi.audit import chain, witness
from minyi.audit.models import ChainAnchor, SecurityEvent
from minyi.audit.retention import apply_retention
from minyi.audit.tests.helpers import disable_guard, events, postgres_only_reason, raw
from minyi.audit.verify import verify
from minyi.conftest import intake
from minyi.workflow.models import AuditEvent

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason=postgres_only_reason)


@pytest.fixture
def seal_witnessed(django_capture_on_commit_callbacks: Any) -> Callable[[], dict[str, int]]:
    """Seal as the periodic job does: the witness line is written once the seal has committed."""

    def seal() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return chain.seal_all()

    return seal


def _verify_command() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as failed:
        return failed.returncode, out.getvalue()
    return 0, out.getvalue()


def _head(table: str) -> int:
    return int(ChainAnchor.objects.get(table=table).last_seq)


# --- the anchor table and TRUNCATE ------------------------------------------------------------


@pytest.mark.django_db
def test_the_anchor_table_refuses_delete_and_rollback_but_lets_the_sealer_move_it_forward() -> None:
    events(3)
    chain.seal_all()
    anchor = ChainAnchor.objects.get(table="audit_securityevent")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw('DELETE FROM audit_chainanchor WHERE "table" = %s', ["audit_securityevent"])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ChainAnchor.objects.filter(pk=anchor.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("UPDATE audit_chainanchor SET last_seq = 0, last_id = 0, last_hash = %s WHERE id = %s", [chain.GENESIS, anchor.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("UPDATE audit_chainanchor SET last_hash = %s WHERE id = %s", ["f" * 64, anchor.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("UPDATE audit_chainanchor SET key_id = 'another' WHERE id = %s", [anchor.pk])
    events(2)
    assert chain.seal_chain(chain.SECURITY_EVENT) >= 2  # the sealer's own update goes through
    assert ChainAnchor.objects.get(pk=anchor.pk).last_seq > anchor.last_seq
    assert verify().ok


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("table", ["workflow_auditevent", "accountability_recordaudit", "audit_securityevent", "audit_chainanchor"])
def test_postgres_refuses_truncate_outside_flush(table: str) -> None:
    events(1)
    chain.seal_all()
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
    with pytest.raises(IntegrityError, match="TRUNCATE refused"), transaction.atomic():
        raw(f'TRUNCATE "{table}" CASCADE')
    with pytest.raises(IntegrityError, match="TRUNCATE refused"), transaction.atomic():
        raw("TRUNCATE auth_user CASCADE")  # reaching the audit tables through their foreign keys
    assert SecurityEvent.objects.exists() and ChainAnchor.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_flush_may_truncate_and_the_permission_ends_with_its_transaction(district: None) -> None:
    events(2)
    chain.seal_all()
    call_command("flush", interactive=False, verbosity=0)
    assert not SecurityEvent.objects.exists() and not ChainAnchor.objects.exists()
    events(1)
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):
        raw("TRUNCATE audit_securityevent")


# --- H5 and H6, exactly as the penetration test did them -----------------------------------------


def _as_superuser(*statements: str) -> None:
    """What a superuser's psql session does; deferred foreign-key checks would block ALTER and TRUNCATE."""
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    for sql in statements:
        raw(sql)
    raw("SET CONSTRAINTS ALL DEFERRED")


@postgres_only
@pytest.mark.django_db
def test_h5_wiping_the_security_log_and_its_anchor_is_refused_and_then_found(seal_witnessed: Callable[[], Any]) -> None:
    events(5)
    seal_witnessed()
    witnessed = _head("audit_securityevent")
    # The pentest's two statements, as an ordinary role: both refused now.
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="TRUNCATE refused"), transaction.atomic():
        raw("TRUNCATE audit_securityevent")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_chainanchor WHERE \"table\"='audit_securityevent'")
    # The same as a superuser who disables every trigger first and puts them back afterwards.
    _as_superuser(
        "ALTER TABLE audit_securityevent DISABLE TRIGGER USER",
        "ALTER TABLE audit_chainanchor DISABLE TRIGGER USER",
        "TRUNCATE audit_securityevent",
        "DELETE FROM audit_chainanchor WHERE \"table\"='audit_securityevent'",
        "ALTER TABLE audit_securityevent ENABLE TRIGGER USER",
        "ALTER TABLE audit_chainanchor ENABLE TRIGGER USER",
    )
    code, out = _verify_command()
    assert code == 1
    assert f"安全日志（audit_securityevent）的封存锚点不见了，而外部见证记录它已封存到序号 {witnessed}" in out
    assert "审计链完整" not in out
    assert not ChainAnchor.objects.filter(table="audit_securityevent").exists()  # no fresh anchor
    with pytest.raises(CommandError, match="外部见证记录已封存到序号"):
        call_command("audit", "seal", stdout=StringIO())


@postgres_only
@pytest.mark.django_db
def test_h6_rewriting_the_appeal_trail_and_resealing_it_is_found(people: dict[str, Any], seal_witnessed: Callable[[], Any]) -> None:
    for _ in range(3):
        intake(by=people["operator"])
    seal_witnessed()
    witnessed = _head("workflow_auditevent")
    victim = AuditEvent.objects.order_by("id").values_list("id", flat=True)[1]
    _as_superuser(
        "ALTER TABLE workflow_auditevent DISABLE TRIGGER minyi_append_only",
        "UPDATE workflow_auditevent SET reason='rewritten history', seal_seq=NULL, prev_hash='', row_hash=''",
        f"DELETE FROM workflow_auditevent WHERE id={int(victim)}",  # noqa: S608 - an id the test read
        "ALTER TABLE workflow_auditevent ENABLE TRIGGER minyi_append_only",
    )
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_chainanchor WHERE \"table\"='workflow_auditevent'")  # refused for everyone now
    _as_superuser(
        "ALTER TABLE audit_chainanchor DISABLE TRIGGER minyi_append_only",
        "DELETE FROM audit_chainanchor WHERE \"table\"='workflow_auditevent'",
        "ALTER TABLE audit_chainanchor ENABLE TRIGGER minyi_append_only",
    )
    code, out = _verify_command()  # verify seals first: it must not seal the rewritten rows
    assert code == 1
    assert f"诉求操作记录（workflow_auditevent）的封存锚点不见了，而外部见证记录它已封存到序号 {witnessed}" in out
    assert not AuditEvent.objects.filter(seal_seq__isnull=False).exists()
    assert not ChainAnchor.objects.filter(table="workflow_auditevent").exists()


# --- the witness (SQLite and PostgreSQL) ------------------------------------------------------


@pytest.mark.django_db
def test_each_sealing_run_appends_the_head_to_the_witness_and_logs_it(
    seal_witnessed: Callable[[], Any], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    events(2)
    with caplog.at_level(logging.INFO, logger="minyi.audit"):
        seal_witnessed()
        events(1)
        seal_witnessed()
        seal_witnessed()  # nothing new: no line
    lines = [json.loads(line) for line in Path(settings.MINYI_AUDIT_WITNESS_FILE).read_text().splitlines()]
    security = [line for line in lines if line["table"] == "audit_securityevent"]
    head = ChainAnchor.objects.get(table="audit_securityevent")
    assert [line["seal_seq"] for line in security] == [head.last_seq - 1, head.last_seq]
    assert security[-1]["row_hash"] == head.last_hash == SecurityEvent.objects.get(seal_seq=head.last_seq).row_hash
    assert security[-1]["db"] == witness.database()
    logged = [r for r in caplog.records if getattr(r, "audit_witness", {}).get("table") == "audit_securityevent"]
    assert [r.audit_witness["seal_seq"] for r in logged] == [head.last_seq - 1, head.last_seq]  # type: ignore[attr-defined]
    assert all(r.levelno == logging.INFO for r in logged)


@pytest.mark.django_db
def test_an_untouched_chain_with_its_witness_verifies(seal_witnessed: Callable[[], Any], settings: Any) -> None:
    events(3)
    seal_witnessed()
    events(2)
    seal_witnessed()
    assert witness.read_all()["audit_securityevent"]
    code, out = _verify_command()
    assert code == 0, out
    assert "审计链完整" in out


@pytest.mark.django_db
def test_retention_keeps_the_chain_verifying_against_its_witness(seal_witnessed: Callable[[], Any], django_capture_on_commit_callbacks: Any) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=200)):
        events(3)
    seal_witnessed()
    events(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention().deleted >= 3
    seal_witnessed()
    code, out = _verify_command()
    assert code == 0, out
    assert min(witness.read_all()["audit_securityevent"]) < ChainAnchor.objects.get(table="audit_securityevent").base_seq


@pytest.mark.django_db
def test_a_superuser_wipe_of_rows_and_anchor_is_named_on_sqlite_too(seal_witnessed: Callable[[], Any]) -> None:
    events(4)
    seal_witnessed()
    witnessed = _head("audit_securityevent")
    disable_guard("audit_securityevent")
    disable_guard("audit_chainanchor")
    raw("DELETE FROM audit_securityevent")
    raw("DELETE FROM audit_chainanchor WHERE \"table\" = 'audit_securityevent'")
    report = verify()
    found = [(f.table, f.kind, f.seal_seq) for f in report.findings if f.kind == "witness"]
    assert found == [("audit_securityevent", "witness", witnessed)]
    assert {(f.table, f.kind) for f in report.findings if f.kind == "guard"} >= {("audit_chainanchor", "guard"), ("audit_securityevent", "guard")}
    assert not ChainAnchor.objects.filter(table="audit_securityevent").exists()


@pytest.mark.django_db
def test_a_chain_cut_back_below_the_witnessed_head_is_named(seal_witnessed: Callable[[], Any]) -> None:
    events(4)
    seal_witnessed()
    witnessed = _head("audit_securityevent")
    anchor = ChainAnchor.objects.get(table="audit_securityevent")
    last = SecurityEvent.objects.get(seal_seq=witnessed)
    before = SecurityEvent.objects.get(seal_seq=witnessed - 1)
    # Drop the newest row and roll the anchor back to the row before: the anchor's mac no longer fits,
    # and the sealer refuses to build on it.
    disable_guard("audit_securityevent")
    disable_guard("audit_chainanchor")
    raw("DELETE FROM audit_securityevent WHERE id = %s", [last.pk])
    raw(
        "UPDATE audit_chainanchor SET last_seq = %s, last_id = %s, last_hash = %s, mac = '' WHERE id = %s",
        [witnessed - 1, before.pk, before.row_hash, anchor.pk],
    )
    with pytest.raises(chain.ForgedAnchor):
        chain.seal_chain(chain.SECURITY_EVENT)
    messages = [f.message for f in verify().findings if f.kind == "witness"]
    expected = f"安全日志（audit_securityevent）的审计链只到封存序号 {witnessed - 1}，而外部见证记录它已封存到序号 {witnessed}"
    assert len(messages) == 1 and messages[0].startswith(expected)


@pytest.mark.django_db
def test_a_chain_rebuilt_where_the_witness_could_not_see_is_named_by_hash(seal_witnessed: Callable[[], Any], settings: Any) -> None:
    rows = events(3)
    seal_witnessed()
    ours = settings.MINYI_AUDIT_WITNESS_FILE
    witnessed = _head("audit_securityevent")
    # Rewrite and unseal every row, drop the anchor, and have a sealer with another (empty) witness reseal.
    disable_guard("audit_securityevent")
    disable_guard("audit_chainanchor")
    raw("UPDATE audit_securityevent SET target = 'rewritten', seal_seq = NULL, prev_hash = '', row_hash = ''")
    raw("DELETE FROM audit_chainanchor WHERE \"table\" = 'audit_securityevent'")
    settings.MINYI_AUDIT_WITNESS_FILE = ours + ".elsewhere"
    seal_witnessed()
    settings.MINYI_AUDIT_WITNESS_FILE = ours
    assert _head("audit_securityevent") == witnessed  # as long as before: only the hashes tell
    findings = [f for f in verify().findings if f.kind != "guard"]  # the disabled triggers are findings too
    assert [(f.kind, f.row_id, f.seal_seq) for f in findings] == [("witness", rows[-1].pk, witnessed)]
    assert "的摘要与外部见证记录的不符" in findings[0].message


@postgres_only
def test_outside_a_test_database_the_flush_setting_opens_nothing() -> None:
    """Found by the independent re-probe: SET LOCAL minyi.allow_truncate = 'on' let any session empty the tables."""
    import uuid

    import psycopg
    from django.conf import settings as django_settings

    from minyi.audit import guard

    params = django_settings.DATABASES["default"]
    admin = f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/postgres"
    name = f"minyi_guard_{uuid.uuid4().hex[:8]}"  # a production-like name: not test_…
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(admin.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
            conn.execute(guard.PG_FUNCTIONS)
            conn.execute('CREATE TABLE "audit_securityevent" (id serial primary key)')
            for sql in guard._pg_truncate_sql("audit_securityevent"):
                conn.execute(sql)
            def truncate_with_the_flag() -> None:
                with conn.transaction():
                    conn.execute(f"SET LOCAL {guard.ALLOW_TRUNCATE} = 'on'")
                    conn.execute('TRUNCATE "audit_securityevent"')

            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="TRUNCATE refused"):
                truncate_with_the_flag()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
