"""Every proposal action: who may, what it writes, what it refuses, and the loop through the workflow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from minyi.appeals import services as appeal_services
from minyi.conftest import make_user
from minyi.directory.models import Department
from minyi.jobs.models import Job
from minyi.proposals import services
from minyi.proposals.hooks import LETTER_REQUIRED
from minyi.proposals.models import Kind, Proposal, ProposerSatisfaction
from minyi.proposals.tests.conftest import ASSIGNED_ON, REGISTERED_AT, register
from minyi.workflow import services as wf
from minyi.workflow.machine import State, TransitionError
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role

AT = dt.datetime(2025, 7, 3, 9, 0, tzinfo=REGISTERED_AT.tzinfo)
LETTER = "经研究，湖滨新村加装电梯已列入2026年民生实事项目，计划年内完成12台。"


def _dept(code: str) -> Department:
    return Department.objects.get(code=code)


def _assigned(liaison: Any) -> Proposal:
    proposal = register(liaison)
    return services.assign_proposal(proposal, lead=_dept("zjj"), co_units=[_dept("cgj"), _dept("mhjd")], assigned_on=ASSIGNED_ON, by=liaison, now=AT)


def _events(proposal: Proposal) -> list[str]:
    """The audit trail, without the AI suggestion note that intake may add."""
    return list(AuditEvent.objects.filter(appeal=proposal.appeal).exclude(event="triage").order_by("id").values_list("event", flat=True))


@pytest.mark.django_db
def test_register_creates_an_accepted_appeal_on_the_right_channel(liaison: Any) -> None:
    npc = register(liaison)
    cppcc = register(liaison, kind=Kind.CPPCC_PROPOSAL, proposer_group="经济界", title="关于扶持明湖区夜间经济的提案")
    second = register(liaison)
    assert (npc.number, cppcc.number, second.number) == (1, 1, 2)
    assert npc.appeal.channel.code == "rdjy" and cppcc.appeal.channel.code == "zxta"
    assert npc.appeal.state is State.PENDING_DISPATCH and npc.appeal.kind == "suggestion"
    assert npc.appeal.submitter_name == "沈建国" and npc.year == 2025
    assert _events(npc) == ["register", "accept"]
    assert AuditEvent.objects.filter(appeal=npc.appeal).first().actor_id == liaison.pk  # type: ignore[union-attr]


@pytest.mark.django_db
def test_register_refuses_other_roles_and_bad_input(liaison: Any, people: dict[str, Any]) -> None:
    with pytest.raises(wf.ActionForbidden):
        register(people["handler"])
    with pytest.raises(ValidationError) as exc:
        register(liaison, proposer_name=" ", proposer_group="")
    assert set(exc.value.message_dict) == {"proposer_name", "proposer_group"}
    register(liaison, number=7)
    with pytest.raises(ValidationError, match="第 7 号"):
        register(liaison, number=7)
    assert Proposal.objects.count() == 1


@pytest.mark.django_db
def test_assign_dispatches_to_the_lead_and_records_co_handlers(liaison: Any) -> None:
    proposal = _assigned(liaison)
    assert proposal.appeal.state is State.DISPATCHED and proposal.appeal.department == _dept("zjj")
    assert [c.department.code for c in proposal.co_handlers.all()] == ["cgj", "mhjd"]
    dispatch = AuditEvent.objects.filter(appeal=proposal.appeal, event="dispatch").get()
    assert "主办：区住房和城乡建设局" in dispatch.reason and "区城市管理局、明湖街道" in dispatch.reason
    assert wf.replay_state(proposal.appeal) is State.DISPATCHED


@pytest.mark.django_db
def test_assign_refuses_bad_input_and_writes_nothing(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    with pytest.raises(ValidationError) as exc:
        services.assign_proposal(proposal, lead=_dept("zjj"), co_units=[_dept("zjj")], assigned_on=None, by=liaison, now=AT)
    assert set(exc.value.message_dict) == {"co_units", "assigned_on"}
    with pytest.raises(ValidationError, match="晚于今天"):
        services.assign_proposal(proposal, lead=_dept("zjj"), assigned_on=AT.date() + dt.timedelta(days=1), by=liaison, now=AT)
    with pytest.raises(wf.ActionForbidden):
        services.assign_proposal(proposal, lead=_dept("zjj"), assigned_on=ASSIGNED_ON, by=people["dispatcher"], now=AT)
    proposal.refresh_from_db()
    assert proposal.assigned_on is None and not proposal.co_handlers.exists()
    assert _events(proposal) == ["register", "accept"]
    services.assign_proposal(proposal, lead=_dept("zjj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    with pytest.raises(TransitionError):  # once only
        services.assign_proposal(proposal, lead=_dept("cgj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)


@pytest.mark.django_db
def test_opinion_one_per_unit_from_that_unit_with_a_notice(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _assigned(liaison)
    cgj = _dept("cgj")
    with pytest.raises(wf.ActionForbidden):
        services.submit_opinion(proposal, cgj, opinion="同意主办单位意见，配合做好施工期间的市容管理。", by=people["handler"])
    with pytest.raises(ValidationError, match="至少 5 个字"):
        services.submit_opinion(proposal, cgj, opinion="同意", by=people["other_handler"])
    jobs = Job.objects.filter(topic="notify.deliver").count()
    row = services.submit_opinion(proposal, cgj, opinion="同意主办单位意见，配合做好施工期间的市容管理。", by=people["other_handler"], now=AT)
    assert row.submitted_at == AT and row.submitted_by_id == people["other_handler"].pk
    assert Job.objects.filter(topic="notify.deliver").count() == jobs + 1  # the lead unit hears of it through the outbox
    note = AuditEvent.objects.filter(appeal=proposal.appeal).last()
    assert note is not None and note.event == services.OPINION_EVENT and note.event_label() == "协办意见"
    with pytest.raises(ValidationError, match="已提交过"):
        services.submit_opinion(proposal, cgj, opinion="再补充一点意见内容。", by=people["other_handler"])
    with pytest.raises(ValidationError, match="不是这件建议提案的协办单位"):
        services.submit_opinion(proposal, _dept("hbj"), opinion="我们也有意见要提。", by=make_user("hbj-h", Role.HANDLER, "hbj"))
    assert wf.replay_state(proposal.appeal) is proposal.appeal.state


@pytest.mark.django_db
def test_consultation_by_the_lead_unit_or_the_liaison(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _assigned(liaison)
    kwargs = {
        "held_on": dt.date(2025, 7, 10),
        "place": "湖滨社区议事厅",
        "participants": "沈建国代表、区住建局副局长",
        "summary": "逐户走访后，代表同意先行试点两个单元。",
    }
    with pytest.raises(wf.ActionForbidden):
        services.record_consultation(proposal, by=people["other_handler"], now=AT + dt.timedelta(days=10), **kwargs)
    with pytest.raises(ValidationError) as exc:
        services.record_consultation(proposal, by=people["handler"], now=AT, **{**kwargs, "summary": "短", "place": ""})
    assert set(exc.value.message_dict) == {"held_on", "summary", "place"}  # 07-10 is after 07-03
    row = services.record_consultation(proposal, by=people["handler"], now=AT + dt.timedelta(days=10), **kwargs)
    assert row.proposal == proposal and _events(proposal)[-1] == services.CONSULTATION_EVENT
    services.record_consultation(proposal, by=liaison, now=AT + dt.timedelta(days=11), **kwargs)
    assert proposal.consultations.count() == 2


@pytest.mark.django_db
def test_letter_needs_every_opinion_a_class_and_the_lead_unit(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _assigned(liaison)
    with pytest.raises(TransitionError, match="请先签收"):
        services.send_letter(proposal, classification="A", body=LETTER, by=people["handler"], now=AT)
    appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    services.submit_opinion(proposal, _dept("cgj"), opinion="同意主办单位意见，配合做好市容管理。", by=people["other_handler"])
    with pytest.raises(ValidationError, match="明湖街道"):
        services.send_letter(proposal, classification="A", body=LETTER, by=people["handler"])
    services.submit_opinion(proposal, _dept("mhjd"), opinion="街道负责做好居民协调工作。", by=make_user("mh-h", Role.HANDLER, "mhjd"))
    with pytest.raises(ValidationError) as exc:
        services.send_letter(proposal, classification="D", body="太短", by=people["handler"])
    assert set(exc.value.message_dict) == {"classification", "body"}
    with pytest.raises(wf.ActionForbidden):
        services.send_letter(proposal, classification="A", body=LETTER, by=people["other_handler"])
    proposal.refresh_from_db()
    assert proposal.letter_count == 0 and proposal.classification == ""  # nothing half-done
    services.send_letter(proposal, classification="A", body=LETTER, contact="王磊 0512-66001234", by=people["handler"])
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.REPLIED and proposal.appeal.reply_text == LETTER
    assert proposal.classification == "A" and proposal.letter_count == 1
    reply = AuditEvent.objects.filter(appeal=proposal.appeal, event="reply").get()
    assert reply.reason == "答复函：A 已解决或采纳"


@pytest.mark.django_db
def test_a_plain_reply_to_a_proposal_is_refused(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    services.assign_proposal(proposal, lead=_dept("zjj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    appeal = appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    with pytest.raises(TransitionError, match=LETTER_REQUIRED[:10]):
        appeal_services.reply_appeal(appeal, reply="已处理。", by=people["handler"])
    appeal.refresh_from_db()
    assert appeal.state is State.IN_PROGRESS and not AuditEvent.objects.filter(appeal=appeal, event="reply").exists()


@pytest.mark.django_db
def test_the_whole_loop_with_unsatisfied_reopen_and_satisfied_close(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    services.assign_proposal(proposal, lead=_dept("zjj"), co_units=[_dept("cgj")], assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    services.submit_opinion(proposal, _dept("cgj"), opinion="同意主办单位意见，配合做好市容管理。", by=people["other_handler"])
    services.record_consultation(
        proposal,
        held_on=dt.date(2025, 7, 3),
        place="区住建局会议室",
        participants="沈建国代表",
        summary="面商后代表对推进方案表示认可。",
        by=people["handler"],
        now=AT,
    )
    services.send_letter(proposal, classification="B", body=LETTER, by=people["handler"])
    with pytest.raises(wf.ActionForbidden):
        services.approve_letter(proposal, by=people["handler"])
    services.approve_letter(proposal, by=liaison)
    with pytest.raises(ValidationError, match="不满意时"):
        services.rate_proposal(proposal, satisfaction=ProposerSatisfaction.UNSATISFIED, by=liaison)
    services.rate_proposal(proposal, satisfaction=ProposerSatisfaction.UNSATISFIED, comment="施工进度没有说清楚", by=liaison)
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.DISPATCHED and proposal.appeal.reopen_count == 1
    assert proposal.satisfaction is ProposerSatisfaction.UNSATISFIED and proposal.appeal.priority == "urgent"
    appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    services.send_letter(proposal, classification="A", body=LETTER + "首批4台已开工，预计年底前投入使用。", by=people["handler"])
    services.approve_letter(proposal, by=liaison)
    services.rate_proposal(proposal, satisfaction=ProposerSatisfaction.SATISFIED, by=liaison)
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.CLOSED and proposal.satisfaction is ProposerSatisfaction.SATISFIED
    assert proposal.letter_count == 2 and proposal.classification == "A"
    assert wf.replay_state(proposal.appeal) is State.CLOSED
    assert _events(proposal) == [
        "register",
        "accept",
        "dispatch",
        "claim",
        services.OPINION_EVENT,
        services.CONSULTATION_EVENT,
        "reply",
        "approve_reply",
        "reopen",
        "claim",
        "reply",
        "approve_reply",
        "close",
    ]


@pytest.mark.django_db
def test_return_letter_and_basic_satisfaction(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison, kind=Kind.CPPCC_PROPOSAL, proposer_group="农业和农村界")
    services.assign_proposal(proposal, lead=_dept("zjj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    services.send_letter(proposal, classification="C", body=LETTER, by=people["handler"])
    services.return_letter(proposal, reason="答复未说明资金来源", by=liaison)
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.IN_PROGRESS
    services.send_letter(proposal, classification="C", body=LETTER + "资金由区财政统筹安排。", by=people["handler"])
    services.approve_letter(proposal, by=liaison)
    services.rate_proposal(proposal, satisfaction=ProposerSatisfaction.BASIC, by=liaison)
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.CLOSED and proposal.satisfaction is ProposerSatisfaction.BASIC
    assert proposal.appeal.satisfaction == 3


@pytest.mark.django_db
def test_visibility_and_masking(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _assigned(liaison)
    register(liaison, title="关于青枫路增设公交站的建议")  # not assigned: no unit sees it
    assert services.visible_proposals(liaison).count() == 2
    assert services.visible_proposals(people["leader"]).count() == 2
    assert list(services.visible_proposals(people["handler"])) == [proposal]  # 主办
    assert list(services.visible_proposals(people["other_handler"])) == [proposal]  # 协办
    assert not services.visible_proposals(make_user("hbj-h", Role.HANDLER, "hbj")).exists()
    assert not services.visible_proposals(people["nobody"]).exists()
    assert services.proposer_shown(proposal, liaison) == {"name": "沈建国", "group": "明湖街道代表团", "phone": "13912345678"}
    assert services.proposer_shown(proposal, people["handler"]) == {"name": "沈建国", "group": "明湖街道代表团", "phone": "139****5678"}
    assert services.proposer_shown(proposal, people["leader"]) == {"name": "沈**", "group": "明湖街道代表团", "phone": "139****5678"}
    assert services.proposer_shown(proposal, people["supervisor"])["name"] == "沈**"
