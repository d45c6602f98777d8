"""Actions against the real database: audit, replay, notifications, races and retries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.conftest import intake, make_user
from minyi.core import notify
from minyi.directory.defaults import load_defaults
from minyi.directory.models import Channel, Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State, TransitionError
from minyi.workflow.models import AuditEvent, ImmutableError
from minyi.workflow.policy import Role


def test_full_loop_writes_one_audit_row_per_action_and_replays(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = intake(by=people["operator"])
    zjj = Department.objects.get(code="zjj")
    appeal = services.dispatch_appeal(appeal, zjj, by=people["dispatcher"])
    appeal = services.claim_appeal(appeal, by=people["handler"])
    appeal = services.reply_appeal(appeal, reply="路灯已修复", by=people["handler"])
    appeal = services.approve_reply(appeal, by=people["dispatcher"])
    appeal = services.record_callback(appeal, satisfaction=5, resolved=True, by=people["operator"])
    assert appeal.state is State.CLOSED
    machine_events = {e.value for e in Event}  # notes such as a triage suggestion are not transitions
    events = [e for e in AuditEvent.objects.filter(appeal=appeal).values_list("event", flat=True) if e in machine_events]
    assert events == ["register", "accept", "dispatch", "claim", "reply", "approve_reply", "close"]
    assert wf.replay_state(appeal) is State.CLOSED
    assert appeal.closed_at is not None and appeal.satisfaction == 5 and appeal.resolved is True


def test_unsatisfied_callback_reopens_with_raised_priority(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    appeal = services.record_callback(appeal, satisfaction=2, resolved=False, comment="没有解决", by=people["operator"])
    assert appeal.state is State.DISPATCHED
    assert appeal.priority == "urgent"
    assert appeal.reopen_count == 1
    assert appeal.department.code == "zjj"


def test_return_needs_a_reason_and_goes_back_to_dispatch(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    with pytest.raises(TransitionError) as info:
        services.return_appeal(appeal, reason=" ", by=people["handler"])
    assert "原因" in info.value.message
    appeal = services.return_appeal(appeal, reason="不属于本单位职责", by=people["handler"])
    assert appeal.state is State.RETURN_REQUESTED  # a dispatcher rules on it
    assert appeal.department.code == "zjj"
    assert appeal.return_count == 1
    appeal = services.approve_return(appeal, by=people["dispatcher"])
    assert appeal.state is State.PENDING_DISPATCH
    assert appeal.department_id is None and appeal.return_count == 1
    assert AuditEvent.objects.filter(appeal=appeal, event="return").get().reason == "不属于本单位职责"


def test_merge_points_the_duplicate_at_the_main_appeal(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    main = appeal_in(State.DISPATCHED)
    dup = appeal_in(State.PENDING_DISPATCH)
    with pytest.raises(TransitionError):
        services.merge_appeal(dup, into=dup, by=people["dispatcher"])
    dup = services.merge_appeal(dup, into=main, by=people["dispatcher"])
    assert dup.state is State.MERGED and dup.merged_into_id == main.pk
    closed = appeal_in(State.CLOSED)
    other = appeal_in(State.PENDING_DISPATCH)
    with pytest.raises(TransitionError):
        services.merge_appeal(other, into=closed, by=people["dispatcher"])


def test_direct_close_only_for_consultations(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    complaint = appeal_in(State.PENDING_DISPATCH)
    with pytest.raises(TransitionError) as info:
        services.close_directly(complaint, reply="已答复", by=people["operator"])
    assert info.value.code == "is_consultation"
    consult = appeal_in(State.PENDING_DISPATCH, kind="consult")
    consult = services.close_directly(consult, reply="已当场答复", by=people["operator"])
    assert consult.state is State.CLOSED and consult.reply_text == "已当场答复"


def test_notifications_are_sent_only_after_commit(people: dict[str, Any], appeal_in: Callable[..., Appeal], django_capture_on_commit_callbacks: Any) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    notify.OUTBOX.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), by=people["dispatcher"])
    assert notify.OUTBOX == []
    for callback in callbacks:
        callback()
    [notice] = notify.OUTBOX
    assert notice.kind == "dispatch:department"
    assert people["handler"].pk in notice.user_ids and people["other_handler"].pk not in notice.user_ids


def test_audit_rows_are_immutable(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    row = AuditEvent.objects.filter(appeal=appeal).first()
    assert row is not None
    row.reason = "tampered"
    with pytest.raises(ImmutableError):
        row.save()
    with pytest.raises(ImmutableError):
        row.delete()
    with pytest.raises(ImmutableError):
        AuditEvent.objects.filter(appeal=appeal).update(reason="x")
    with pytest.raises(ImmutableError):
        AuditEvent.objects.filter(appeal=appeal).delete()


def test_intake_retry_with_the_same_key_creates_one_appeal(people: dict[str, Any]) -> None:
    def data() -> services.IntakeData:
        return services.IntakeData(channel=Channel.objects.get(code="12345"), title="重复提交", content="网络超时后客户端重试同一请求")

    first, created = services.intake_appeal(data(), by=people["operator"], idempotency_key="call-2026-0001")
    again, created_again = services.intake_appeal(data(), by=people["operator"], idempotency_key="call-2026-0001")
    assert created and not created_again
    assert first.pk == again.pk
    assert Appeal.objects.filter(title="重复提交").count() == 1


def test_numbers_are_sequential_per_day(people: dict[str, Any]) -> None:
    a = intake(by=people["operator"])
    b = intake(by=people["operator"])
    day, seq = a.number.split("-")
    assert b.number == f"{day}-{int(seq) + 1:06d}"


def test_intake_validation_names_each_bad_field_in_chinese(people: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    bad = services.IntakeData(
        channel=Channel.objects.get(code="sst"), title="", content="短", phone="123abc",
        submitter_type="enterprise", credit_code="91350100M000100Y44", lat=31.3,
    )
    with pytest.raises(ValidationError) as info:
        services.intake_appeal(bad, by=people["operator"])
    errors = info.value.message_dict
    assert set(errors) == {"title", "content", "phone", "credit_code", "lat"}
    assert "统一社会信用代码" in errors["credit_code"][0]
    assert Appeal.objects.count() == 0


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_handlers_claiming_at_once_exactly_one_wins() -> None:
    load_defaults()
    admin = make_user("adm-race", Role.ADMIN, "sjj")
    handlers = [make_user(f"race-{i}", Role.HANDLER, "zjj") for i in range(2)]
    for _round in range(5):
        appeal = intake(by=admin)
        appeal = services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), by=admin)
        results = _race(2, lambda i, pk=appeal.pk: services.claim_appeal(Appeal.objects.get(pk=pk), by=handlers[i]))
        wins = [r for r in results if isinstance(r, Appeal)]
        losses = [r for r in results if isinstance(r, TransitionError)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert AuditEvent.objects.filter(appeal_id=appeal.pk, event="claim").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_appeal() -> None:
    load_defaults()
    operator = make_user("op-race", Role.OPERATOR, "sjj-12345")
    channel = Channel.objects.get(code="12345")

    def submit(i: int) -> Any:
        data = services.IntakeData(channel=channel, title="并发重试", content="同一请求被客户端并发重试四次")
        return services.intake_appeal(data, by=operator, idempotency_key="same-key")

    results = _race(4, submit)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0].pk for r in results}) == 1
    assert sum(1 for r in results if r[1]) == 1
    assert Appeal.objects.filter(title="并发重试").count() == 1


ACTIONS = [
    Event.DISPATCH, Event.REDISPATCH, Event.CLAIM, Event.RETURN, Event.REQUEST_EXTENSION, Event.APPROVE_EXTENSION,
    Event.DENY_EXTENSION, Event.SUSPEND, Event.RESUME, Event.REPLY, Event.APPROVE_REPLY, Event.REJECT_REPLY,
    Event.SUPERVISE, Event.CLOSE, Event.REOPEN, Event.CLOSE_DIRECTLY, Event.MERGE,
]


class TestRandomActionSequences(TestCase):
    """Random sequences of real actions never leave the declared states, and the audit replays."""

    @classmethod
    def setUpTestData(cls) -> None:
        load_defaults()
        cls.admin = make_user("hyp-admin", Role.ADMIN, "sjj")
        cls.zjj = Department.objects.get(code="zjj")
        cls.cgj = Department.objects.get(code="cgj")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.booleans()), max_size=25), st.sampled_from(["consult", "complaint"]))
    def test_sequences(self, steps: list[tuple[Event, bool]], kind: str) -> None:
        appeal = intake(kind, by=self.admin)
        other = intake(kind, by=self.admin)
        for event, flag in steps:
            kwargs: dict[str, Any] = {
                "reason": "说明原因" if flag or event is not Event.SUPERVISE else "",
                "department": self.cgj if appeal.department_id == self.zjj.pk else self.zjj,
                "reply": "答复内容",
                "satisfaction": 4 if event is Event.CLOSE else 1,
                "resolved": flag,
                "extension_days": 2,
                "merge_into": other,
            }
            try:
                appeal = wf.perform(appeal, event, by=self.admin, **kwargs)
            except TransitionError:
                appeal.refresh_from_db()
            assert appeal.status in {s.value for s in State}
            assert wf.replay_state(appeal) is appeal.state
