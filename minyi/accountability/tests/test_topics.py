"""疑难专题 close-out, progress line, 首席服务专员 and 政企早餐会."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from minyi.accountability import topics
from minyi.accountability.models import AnnualTopic, Engagement, Topic
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State


def test_a_topic_cannot_be_closed_out_until_every_milestone_is_done(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
) -> None:
    linked = [appeal_in(State.CLOSED), appeal_in(State.IN_PROGRESS), appeal_in(State.DISPATCHED)]
    with pytest.raises(wf.ActionForbidden):
        topics.create_topic("老旧小区加装电梯", owner=people["supervisor"], leader=people["leader"], by=people["handler"])
    topic = topics.create_topic(
        "老旧小区加装电梯",
        owner=people["supervisor"],
        leader=people["leader"],
        by=people["supervisor"],
        milestones=[("摸排需求", None), ("资金方案", dt.date(2026, 12, 31))],
        appeals=linked,
    )
    assert topics.progress(topic).line() == "交办3件，解决1件，剩余2件正解决中"
    first, second = topic.milestones.order_by("sort")
    topics.complete_milestone(first, by=people["supervisor"], note="已完成摸排")
    with pytest.raises(ValidationError, match="还有 1 个节点未完成（资金方案）"):
        topics.close_out(topic, by=people["leader"])
    topics.complete_milestone(second, by=people["supervisor"])
    with pytest.raises(wf.ActionForbidden, match="包案领导"):
        topics.close_out(topic, by=people["supervisor"])  # the leader signs off, nobody else
    # Milestones done is not enough: "交办3件，解决1件，剩余2件" must not read 已销号.
    with pytest.raises(ValidationError, match="还有 2 件关联诉求未办结"):
        topics.close_out(topic, by=people["leader"])
    # The progress line follows the data, not a typed-in figure: a reply is not yet a solution.
    wf.perform(linked[1], Event.REPLY, by=people["admin"], reply="已完成加装")
    assert topics.progress(topic).solved == 1
    assert linked[1].audit.filter(event="topic_link").exists()
    Appeal.objects.filter(pk__in=[a.pk for a in linked]).update(status=State.CLOSED)  # test shortcut: the rest of the loop is tested elsewhere
    topic = topics.close_out(topic, by=people["leader"], note="同意销号")
    assert topic.status == Topic.Status.CLOSED
    assert topic.signed_off_at is not None
    with pytest.raises(ValidationError, match="已销号"):
        topics.close_out(topic, by=people["leader"])


def test_topic_page_shows_progress_and_refuses_early_close_out(
    client: Client,
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
) -> None:
    topic = topics.create_topic(
        "河道整治", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"], milestones=[("截污纳管", None)],
        appeals=[appeal_in(State.IN_PROGRESS)],
    )
    client.force_login(people["leader"])
    body = client.get(f"/accountability/topics/{topic.pk}").content.decode()
    assert "交办1件，解决0件，剩余1件正解决中" in body
    response = client.post(f"/accountability/topics/{topic.pk}", {"action": "close_out"}, follow=True)
    assert "不能销号" in response.content.decode()
    topic.refresh_from_db()
    assert topic.status == Topic.Status.OPEN


def test_only_the_leader_sees_the_close_out_button_and_others_get_a_page_not_bare_text(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]
) -> None:
    topic = topics.create_topic(
        "河道整治", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"], milestones=[("截污纳管", None)],
        appeals=[appeal_in(State.IN_PROGRESS)],
    )
    client.force_login(people["supervisor"])
    page = client.get(f"/accountability/topics/{topic.pk}").content.decode()
    assert 'value="close_out"' not in page
    refused = client.post(f"/accountability/topics/{topic.pk}", {"action": "close_out"})
    assert refused.status_code == 403
    assert "<html" in refused.content.decode() and "包案领导" in refused.content.decode()
    client.force_login(people["leader"])
    assert 'value="close_out"' in client.get(f"/accountability/topics/{topic.pk}").content.decode()


def test_enterprise_officer_hears_of_dispatch_and_events_use_the_year_list(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    django_capture_on_commit_callbacks: Any,
) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    Appeal.objects.filter(pk=appeal.pk).update(submitter_type="enterprise", credit_code="91320508MA1XXXXXX1", submitter_name="云塘软件有限公司")
    enterprise = topics.assign_officer("91320508ma1xxxxxx1", "云塘软件有限公司", people["supervisor"], by=people["leader"])
    appeal.refresh_from_db()
    assert topics.officer_for(appeal) == people["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        wf.perform(appeal, Event.DISPATCH, by=people["dispatcher"], department=people["handler"].staff.department)
    assert any(n.kind == "enterprise_appeal:officer" and n.user_ids == (people["supervisor"].pk,) for n in notify.OUTBOX)

    this_year = AnnualTopic.objects.create(year=2026, title="优化营商环境")
    last_year = AnnualTopic.objects.create(year=2025, title="惠企政策直达")
    with pytest.raises(ValidationError, match="2026 年度主题"):
        topics.record_engagement("breakfast", dt.date(2026, 3, 5), last_year, by=people["operator"])
    event = topics.record_engagement(
        "breakfast", dt.date(2026, 3, 5), this_year, by=people["operator"], enterprises=[enterprise], appeals=[appeal], host="张书记"
    )
    assert list(event.appeals.all()) == [appeal]
    assert list(event.enterprises.all()) == [enterprise]
    assert Engagement.objects.get().get_kind_display() == "政企早餐会"


def test_lists_render(client: Client, people: dict[str, Any]) -> None:
    topic = topics.create_topic("背街小巷整治", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"])
    year = AnnualTopic.objects.create(year=2026, title="背街小巷整治")
    topics.record_engagement("contact_day", dt.date(2026, 5, 20), year, by=people["operator"], notes="居民代表座谈")
    client.force_login(people["operator"])
    assert topic.title in client.get("/accountability/topics").content.decode()
    body = client.get("/accountability/engagements").content.decode()
    assert "社情民意联系日" in body
    assert "居民代表座谈" in body
