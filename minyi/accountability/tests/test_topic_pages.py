"""Front-end pages for 疑难专题 and 政企早餐会: forms, permissions, form errors, audit rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from minyi.accountability import topics
from minyi.accountability.models import AnnualTopic, Engagement, Enterprise, Milestone, RecordAudit, Topic
from minyi.accountability.tests.conftest import MONDAY
from minyi.appeals.models import Appeal
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent, ImmutableError


def _topic(people: dict[str, Any], **extra: Any) -> Topic:
    return topics.create_topic(
        "老旧小区加装电梯", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"], milestones=[("摸排需求", None)], **extra
    )


def _post_topic(client: Client, people: dict[str, Any], **fields: Any) -> Any:
    data = {
        "title": "背街小巷停车难",
        "description": "老街夜间乱停车，群众反复来电。",
        "department": Department.objects.get(code="zjj").pk,
        "owner": people["supervisor"].pk,
        "leader": people["leader"].pk,
        "milestones": "摸排车位\n施划停车位 2026-12-31",
    }
    return client.post("/accountability/topics/new", {**data, **fields})


def test_supervisor_creates_a_topic_from_the_page_with_one_audit_row(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["supervisor"])
    page = client.get("/accountability/topics/new")
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    with time_machine.travel(MONDAY, tick=False):
        response = _post_topic(client, people)
    topic = Topic.objects.get(title="背街小巷停车难")
    assert response.status_code == 302
    assert response["Location"] == f"/accountability/topics/{topic.pk}"
    assert topic.leader == people["leader"]
    assert topic.department is not None and topic.department.code == "zjj"
    steps = list(topic.milestones.values_list("title", "due_on"))
    assert steps == [("摸排车位", None), ("施划停车位", dt.date(2026, 12, 31))]
    [row] = RecordAudit.objects.filter(topic=topic)
    assert (row.event, row.actor, row.at) == ("topic_created", people["supervisor"], MONDAY)
    body = client.get(f"/accountability/topics/{topic.pk}").content.decode()
    assert "设立专题" in body  # the history lists the creation


def test_invalid_topic_shows_errors_and_writes_nothing(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["supervisor"])
    response = _post_topic(client, people, title="", leader=people["handler"].pk)  # a handler is no 包案领导
    assert response.status_code == 400
    body = response.content.decode()
    assert "has-error" in body
    assert "这个字段是必填项。" in body or "This field is required." in body
    assert "leader" in response.context["form"].errors
    assert not Topic.objects.exists()
    assert not RecordAudit.objects.exists()
    # A one-letter milestone is refused as a whole, not half-created.
    response = _post_topic(client, people, milestones="摸排车位\n拆")
    assert response.status_code == 400
    assert "节点名称至少两个字" in response.content.decode()
    assert not Topic.objects.exists() and not Milestone.objects.exists()


def test_owner_edits_the_topic_and_the_change_is_audited(client: Client, people: dict[str, Any]) -> None:
    topic = _topic(people)
    client.force_login(people["supervisor"])
    edited = {"title": "老旧小区加装电梯（二期）", "description": "扩大到湖滨新村", "department": ""}
    edited |= {"owner": people["supervisor"].pk, "leader": people["leader"].pk}
    form = client.get(f"/accountability/topics/{topic.pk}/edit").content.decode()
    assert "老旧小区加装电梯" in form
    response = client.post(f"/accountability/topics/{topic.pk}/edit", edited)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "老旧小区加装电梯（二期）"
    row = RecordAudit.objects.get(topic=topic, event="topic_updated")
    assert row.payload["changed"]["title"] == ["老旧小区加装电梯", "老旧小区加装电梯（二期）"]
    assert set(row.payload["changed"]) == {"title", "description"}
    # Saving the same values again changes nothing and writes no second row.
    client.post(f"/accountability/topics/{topic.pk}/edit", edited)
    assert RecordAudit.objects.filter(topic=topic, event="topic_updated").count() == 1


def test_invalid_edit_shows_errors_and_writes_nothing(client: Client, people: dict[str, Any]) -> None:
    topic = _topic(people)
    client.force_login(people["supervisor"])
    response = client.post(f"/accountability/topics/{topic.pk}/edit", {"title": "x", "owner": people["supervisor"].pk, "leader": people["leader"].pk})
    assert response.status_code == 400
    assert "请填写专题名称" in response.content.decode()
    topic.refresh_from_db()
    assert topic.title == "老旧小区加装电梯"
    assert not RecordAudit.objects.filter(topic=topic, event="topic_updated").exists()


def test_only_a_supervisor_may_hand_the_sign_off_to_someone_else(people: dict[str, Any]) -> None:
    from minyi.conftest import make_user
    from minyi.workflow.policy import Role

    other_leader = make_user("lead2", Role.LEADER, "mh")
    owner = make_user("owner", Role.HANDLER, "zjj")
    topic = topics.create_topic("河道整治", owner=owner, leader=people["leader"], by=people["supervisor"])
    kept = {"description": "", "department": None}
    topics.update_topic(topic, by=owner, title="河道综合整治", owner=owner, leader=people["leader"], **kept)
    with pytest.raises(wf.ActionForbidden, match="包案领导"):
        topics.update_topic(topic, by=owner, title="河道综合整治", owner=owner, leader=other_leader, **kept)
    topics.update_topic(topic, by=people["supervisor"], title="河道综合整治", owner=owner, leader=other_leader, **kept)
    topic.refresh_from_db()
    assert topic.leader == other_leader
    assert RecordAudit.objects.filter(topic=topic, event="topic_updated").count() == 2


def test_add_and_complete_a_milestone_from_the_topic_page(client: Client, people: dict[str, Any]) -> None:
    topic = _topic(people)
    client.force_login(people["supervisor"])
    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "add_milestone", "m-title": "资金方案", "m-due_on": "2026-12-31"})
    assert response.status_code == 302
    added = topic.milestones.get(title="资金方案")
    assert added.due_on == dt.date(2026, 12, 31) and added.sort == 1
    assert RecordAudit.objects.get(topic=topic, event="milestone_added").payload["milestone_id"] == added.pk

    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "milestone", "milestone": added.pk, "note": "方案已批复"})
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.done_at is not None and added.done_note == "方案已批复"
    # Completing it again is a no-op: no second audit row.
    client.post(f"/accountability/topics/{topic.pk}", {"action": "milestone", "milestone": added.pk})
    assert RecordAudit.objects.filter(topic=topic, event="milestone_completed").count() == 1


def test_invalid_milestone_shows_errors_and_writes_nothing(client: Client, people: dict[str, Any]) -> None:
    topic = _topic(people)
    client.force_login(people["supervisor"])
    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "add_milestone", "m-title": "", "m-due_on": "明年"})
    assert response.status_code == 400
    errors = response.context["milestone_form"].errors
    assert set(errors) == {"title", "due_on"}
    assert 'class="field has-error"' in response.content.decode()
    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "add_milestone", "m-title": "拆"})
    assert "请填写节点名称" in response.content.decode()  # the action's own check, shown on the form
    assert topic.milestones.count() == 1
    assert not RecordAudit.objects.filter(event="milestone_added").exists()


def test_link_an_appeal_by_number(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    topic = _topic(people)
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["supervisor"])
    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "link_appeal", "a-number": "20990101-000001"})
    assert response.status_code == 400
    assert "找不到该诉求编号" in response.content.decode()
    assert not topic.appeals.exists()
    client.post(f"/accountability/topics/{topic.pk}", {"action": "link_appeal", "a-number": appeal.number})
    client.post(f"/accountability/topics/{topic.pk}", {"action": "link_appeal", "a-number": appeal.number})  # twice: once linked
    assert list(topic.appeals.all()) == [appeal]
    assert AuditEvent.objects.filter(appeal=appeal, event="topic_link").count() == 1
    assert "交办1件，解决0件，剩余1件正解决中" in client.get(f"/accountability/topics/{topic.pk}").content.decode()


@pytest.mark.parametrize("role", ["handler", "nobody"])
def test_handlers_and_citizens_may_not_create_or_edit(client: Client, people: dict[str, Any], role: str) -> None:
    topic = _topic(people)
    event = topics.record_engagement("breakfast", dt.date(2026, 3, 5), AnnualTopic.objects.create(year=2026, title="优化营商环境"), by=people["operator"])
    client.force_login(people[role])
    assert client.get("/accountability/topics/new").status_code == 403
    assert _post_topic(client, people).status_code == 403
    assert client.get(f"/accountability/topics/{topic.pk}/edit").status_code == 403
    assert client.post(f"/accountability/topics/{topic.pk}/edit", {"title": "改名"}).status_code == 403
    for action in ({"action": "add_milestone", "m-title": "新节点"}, {"action": "link_appeal", "a-number": "x"}):
        assert client.post(f"/accountability/topics/{topic.pk}", action).status_code == 403
    milestone = topic.milestones.get()
    assert client.post(f"/accountability/topics/{topic.pk}", {"action": "milestone", "milestone": milestone.pk}).status_code == 403
    assert client.get("/accountability/engagements/new").status_code == 403
    assert client.post("/accountability/engagements/new", {"kind": "breakfast"}).status_code == 403
    assert client.get(f"/accountability/engagements/{event.pk}").status_code == 403
    assert "设立专题" not in client.get("/accountability/topics").content.decode()
    milestone.refresh_from_db()
    assert milestone.done_at is None
    assert Topic.objects.get().title == "老旧小区加装电梯"
    assert list(RecordAudit.objects.values_list("event", flat=True)) == ["topic_created", "engagement_recorded"]


def test_forms_need_the_csrf_token(people: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["supervisor"])
    assert _post_topic(client, people).status_code == 403
    assert not Topic.objects.exists()


def test_record_an_event_and_the_appeals_raised_there(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    year = AnnualTopic.objects.create(year=2026, title="优化营商环境")
    firm = Enterprise.objects.create(credit_code="91320508MA1XXXXXX1", name="云塘软件有限公司")
    client.force_login(people["operator"])
    assert client.get("/accountability/engagements/new").status_code == 200
    response = client.post(
        "/accountability/engagements/new",
        {"kind": "breakfast", "date": "2026-03-05", "topic": year.pk, "host": "张书记", "place": "三楼会议室", "enterprises": [firm.pk], "notes": "企业座谈"},
    )
    event = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accountability/engagements/{event.pk}"
    assert list(event.enterprises.all()) == [firm]
    assert RecordAudit.objects.get(engagement=event).event == "engagement_recorded"

    appeal = appeal_in(State.DISPATCHED)
    client.post(f"/accountability/engagements/{event.pk}", {"action": "appeal", "a-number": appeal.number})
    assert list(event.appeals.all()) == [appeal]
    note = AuditEvent.objects.get(appeal=appeal, event="engagement_link")
    assert note.reason == "2026-03-05政企早餐会现场提出"

    response = client.post(
        f"/accountability/engagements/{event.pk}",
        {"action": "save", "kind": "breakfast", "date": "2026-03-06", "topic": year.pk, "host": "张书记", "place": "三楼会议室", "notes": "企业座谈"},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.date == dt.date(2026, 3, 6)
    assert not event.enterprises.exists()
    row = RecordAudit.objects.get(engagement=event, event="engagement_updated")
    assert row.payload["changed"] == {"date": ["2026-03-05", "2026-03-06"], "enterprises": [[firm.pk], []]}
    page = client.get("/accountability/engagements").content.decode()
    assert appeal.number in page and f"/accountability/engagements/{event.pk}" in page


def test_invalid_event_shows_errors_and_writes_nothing(client: Client, people: dict[str, Any]) -> None:
    last_year = AnnualTopic.objects.create(year=2025, title="惠企政策直达")
    client.force_login(people["supervisor"])
    response = client.post("/accountability/engagements/new", {"kind": "breakfast", "date": "2026-03-05", "topic": last_year.pk})
    assert response.status_code == 400
    assert "主题须选自 2026 年度主题清单" in response.content.decode()
    assert "topic" in response.context["form"].errors
    response = client.post("/accountability/engagements/new", {"kind": "lunch", "date": "", "topic": last_year.pk})
    assert set(response.context["form"].errors) == {"kind", "date"}
    assert not Engagement.objects.exists() and not RecordAudit.objects.exists()


def test_audit_rows_are_immutable(people: dict[str, Any]) -> None:
    row = RecordAudit.objects.get(topic=_topic(people))
    with pytest.raises(ImmutableError):
        row.save()
    with pytest.raises(ImmutableError):
        RecordAudit.objects.update(reason="改写")
    with pytest.raises(ImmutableError):
        RecordAudit.objects.all().delete()


def test_a_closed_topic_takes_no_more_changes(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    topic = _topic(people)
    topics.complete_milestone(topic.milestones.get(), by=people["supervisor"])
    topics.close_out(topic, by=people["leader"], note="同意销号")
    assert RecordAudit.objects.filter(topic=topic).count() == 3  # created, milestone completed, closed out
    with pytest.raises(ValidationError, match="已销号"):
        topics.add_milestone(topic, "追加节点", by=people["supervisor"])
    with pytest.raises(ValidationError, match="已销号"):
        topics.link_appeal(topic, appeal_in(State.DISPATCHED), by=people["supervisor"])
    with pytest.raises(ValidationError, match="已销号"):
        topics.update_topic(topic, by=people["supervisor"], title="改名", description="", owner=people["supervisor"], leader=people["leader"])
    assert RecordAudit.objects.filter(topic=topic).count() == 3


def test_supervisor_desk_links_the_topic_pages(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["supervisor"])
    body = client.get("/desk/supervise").content.decode()
    for url in ("/accountability/topics/new", "/accountability/topics", "/accountability/engagements"):
        assert f'href="{url}"' in body


def test_date_inputs_carry_iso_values_so_browsers_show_them(client: Client, people: dict[str, Any]) -> None:
    """<input type=date> shows nothing for 2026/03/05 (the zh-hans format); it needs 2026-03-05."""
    event = topics.record_engagement("breakfast", dt.date(2026, 3, 5), AnnualTopic.objects.create(year=2026, title="优化营商环境"), by=people["operator"])
    client.force_login(people["operator"])
    page = client.get(f"/accountability/engagements/{event.pk}").content.decode()
    assert 'type="date"' in page and 'value="2026-03-05"' in page
    assert "2026/03/05" not in page
