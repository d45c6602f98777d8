"""好差评: the signed link, and the story bad rating → 整改 → callback → arbitration → reopen → good → closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from minyi.accountability import ratings, services
from minyi.accountability.models import Rectification
from minyi.accountability.tests.conftest import MONDAY
from minyi.appeals import services as actions
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.workflow import services as wf
from minyi.workflow.machine import State


def _rectify(appeal: Appeal, people: dict[str, Any], text: str = "已整改：更换全部路灯灯具") -> Appeal:
    appeal = actions.claim_appeal(appeal, by=people["handler"])
    appeal = actions.reply_appeal(appeal, reply=text, by=people["handler"])
    return actions.approve_reply(appeal, by=people["dispatcher"])


def test_bad_rating_rectification_callback_reopen_good_rating_closed(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        appeal = appeal_in(State.PENDING_CALLBACK, now=timezone.now())
        # 1st bad rating → 重办 to the same department, priority raised, a rectification opens.
        appeal = actions.record_callback(appeal, satisfaction=2, resolved=False, comment="路灯还是不亮", by=people["operator"])
    assert appeal.state is State.DISPATCHED
    assert appeal.department.code == "zjj"
    assert appeal.priority == "urgent"
    case = Rectification.objects.get(appeal=appeal)
    assert (case.round, case.satisfaction, case.rectified_at) == (1, 2, None)
    assert services.callback_rate().rate == 0.0

    # 整改: the department replies; the callback is due within N working days.
    with time_machine.travel(MONDAY + dt.timedelta(hours=6), tick=False):
        appeal = _rectify(appeal, people)
    case.refresh_from_db()
    assert case.report == "已整改：更换全部路灯灯具"
    assert case.callback_due_at == wf.get_calendar().add_working_time(case.rectified_at, dt.timedelta(days=3))  # type: ignore[arg-type]

    # Callback: still unsatisfied → a second bad rating goes to arbitration, not straight back.
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        appeal = actions.record_callback(appeal, satisfaction=1, resolved=False, by=people["operator"])
    assert appeal.state is State.ARBITRATION
    case.refresh_from_db()
    assert case.outcome == Rectification.Outcome.UNSATISFIED
    with pytest.raises(wf.ActionForbidden):
        actions.arbitrate_appeal(appeal, reopen=True, reason="重办", by=people["operator"])

    # The supervisor arbitrates: reopen once more, priority raised again.
    with time_machine.travel(MONDAY + dt.timedelta(days=1, hours=2), tick=False):
        appeal = actions.arbitrate_appeal(appeal, reopen=True, reason="整改不到位，重办", by=people["supervisor"])
        assert appeal.state is State.DISPATCHED
        assert appeal.priority == "critical"
        appeal = _rectify(appeal, people, "已会同街道彻底整改")
        appeal = actions.record_callback(appeal, satisfaction=4, resolved=True, by=people["operator"])
    assert appeal.state is State.CLOSED
    assert appeal.bad_rating_callback_at is not None
    rate = services.callback_rate()
    assert rate.rate == 1.0
    assert rate.reached
    assert [c.outcome for c in Rectification.objects.filter(appeal=appeal).order_by("round")] == ["unsatisfied", "satisfied"]
    assert wf.replay_state(appeal) is State.CLOSED


def test_arbitration_can_close_and_that_counts_as_the_callback(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.ARBITRATION)
    assert services.callback_rate().rate == 0.0
    appeal = actions.arbitrate_appeal(appeal, reopen=False, reason="诉求超出政策范围，已向诉求人解释", by=people["supervisor"])
    assert appeal.state is State.CLOSED
    assert services.callback_rate().reached


def test_citizen_rates_through_a_signed_link_once(
    client: Client,
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    django_capture_on_commit_callbacks: Any,
) -> None:
    appeal = appeal_in(State.REPLIED)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = actions.approve_reply(appeal, by=people["dispatcher"])
    [sms] = [n for n in notify.OUTBOX if n.kind == "rating_link"]
    assert sms.extra["phone"] == "13812345678"
    path = sms.extra["url"].split("127.0.0.1:8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert "非常满意" in page.content.decode()
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(path, {"satisfaction": "5", "resolved": "1"}).status_code == 403  # CSRF-protected
    done = client.post(path, {"satisfaction": "5", "resolved": "1", "comment": "很及时"})
    assert "感谢您的评价" in done.content.decode()
    appeal.refresh_from_db()
    assert appeal.state is State.CLOSED
    assert (appeal.satisfaction, appeal.resolved, appeal.rating_comment) == (5, True, "很及时")
    assert appeal.audit.last().actor_label == "群众自助"  # type: ignore[union-attr]
    again = client.get(path)
    assert again.status_code == 410
    assert "已评价" in again.content.decode()


def test_rating_link_expires_and_rejects_tampering(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    with time_machine.travel(MONDAY, tick=False):
        appeal = appeal_in(State.PENDING_CALLBACK, now=timezone.now())
        token = ratings.make_token(appeal)
        assert ratings.appeal_for(token).pk == appeal.pk
    with pytest.raises(ratings.LinkInvalid, match="无效"):
        ratings.appeal_for(token[:-2] + "xx")
    with time_machine.travel(MONDAY + dt.timedelta(days=8), tick=False), pytest.raises(ratings.LinkInvalid, match="过期"):
        ratings.appeal_for(token)


def test_a_link_from_before_a_reopen_no_longer_works(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    old = ratings.make_token(appeal)
    appeal = ratings.rate(old, satisfaction=1, resolved=False)
    appeal = _rectify(appeal, people)
    with pytest.raises(ratings.LinkInvalid):
        ratings.rate(old, satisfaction=5, resolved=True)
    assert ratings.rate(ratings.make_token(appeal), satisfaction=5, resolved=True).state is State.CLOSED
