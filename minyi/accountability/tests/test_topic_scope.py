"""Issue 15, finding 8: a handler on a 专题 page sees its own department's appeals, never another's titles or numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client

from minyi.accountability import topics
from minyi.accountability.models import AnnualTopic
from minyi.appeals.models import Appeal
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State


def test_handler_sees_no_other_departments_titles_on_a_topic_page(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    ours = appeal_in(State.DISPATCHED)  # dispatched to 区住建局 (zjj), the handler's department
    theirs = appeal_in(State.PENDING_DISPATCH)
    theirs = wf.perform(theirs, Event.DISPATCH, by=people["admin"], department=Department.objects.get(code="cgj"))
    Appeal.objects.filter(pk=theirs.pk).update(title="城管局的另一件诉求：某某小区违建")
    topic = topics.create_topic("老旧小区加装电梯", owner=people["supervisor"], leader=people["leader"], by=people["supervisor"])
    for appeal in (ours, theirs):
        topics.link_appeal(topic, appeal, by=people["supervisor"])

    client.force_login(people["handler"])
    body = client.get(f"/accountability/topics/{topic.pk}").content.decode()
    assert ours.number in body and ours.title in body
    assert theirs.number not in body and "某某小区违建" not in body
    assert "交办2件" in body  # the topic's progress still counts the whole topic
    assert "另有 1 件由其他单位办理" in body

    client.force_login(people["supervisor"])
    body = client.get(f"/accountability/topics/{topic.pk}").content.decode()
    assert ours.number in body and theirs.number in body and "另有" not in body


def test_event_list_names_only_visible_appeals(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    pending = appeal_in(State.PENDING_DISPATCH)  # in no department yet: a handler may not see it
    year = AnnualTopic.objects.create(year=2026, title="优化营商环境")
    event = topics.record_engagement("breakfast", dt.date(2026, 3, 5), year, by=people["operator"])
    topics.add_engagement_appeal(event, pending, by=people["operator"])
    client.force_login(people["handler"])
    assert pending.number not in client.get("/accountability/engagements").content.decode()
    client.force_login(people["supervisor"])
    assert pending.number in client.get("/accountability/engagements").content.decode()
