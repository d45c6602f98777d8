"""The demo proposals: counts, stories, deadlines, the year's sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.proposals.demo import seed_for_demo, seed_proposals
from minyi.proposals.models import Kind, Proposal
from minyi.proposals.stats import year_figures
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

ANCHOR = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_demo_proposals(district: None) -> None:
    ensure_demo_accounts()
    assert seed_for_demo(300, 7, ANCHOR) == 0  # the tests' small demos leave proposals out
    assert seed_proposals(7, ANCHOR, password=DEMO_PASSWORD) == 255
    assert seed_proposals(7, ANCHOR, password=DEMO_PASSWORD) == 0  # once a year
    qs = Proposal.objects.select_related("appeal")
    assert qs.filter(kind__in=[Kind.NPC_SUGGESTION, Kind.NPC_MOTION]).count() == 124
    assert qs.filter(kind=Kind.NPC_MOTION).count() == 2
    assert qs.filter(kind=Kind.CPPCC_PROPOSAL).count() == 131
    assert len(set(qs.values_list("appeal__title", flat=True))) == 255
    closed = qs.filter(appeal__status=State.CLOSED)
    assert 240 <= closed.count() < 255  # most closed, a few still being handled
    assert qs.exclude(appeal__status=State.CLOSED).filter(assigned_on__isnull=False).count() == 255 - closed.count()
    reopened = qs.filter(appeal__reopen_count=1, appeal__status=State.CLOSED)
    assert reopened.count() == 3 and all(p.letter_count == 2 for p in reopened)
    assert set(qs.values_list("classification", flat=True)) >= {"A", "B", "C"}
    assert qs.filter(consultations__isnull=False).distinct().count() > 150
    assert qs.filter(co_handlers__submitted_at__isnull=False).distinct().count() > 100
    session = qs.exclude(session="").first()
    assert session is not None and session.assigned_on == dt.date(2026, 2, 26)
    assert session.appeal.reply_due_at == dt.datetime(2026, 5, 27, tzinfo=SHANGHAI)  # 05-26, a Tuesday, to its end
    for p in list(qs.order_by("?")[:25]) + list(reopened):
        assert wf.replay_state(p.appeal) is p.appeal.state
    f = year_figures(2026)
    assert f.total == 255 and f.satisfaction_rate == 1.0
    assert f.sentence().startswith("124 件人大议案、建议和 131 件政协提案已办结")
