"""疑难复杂问题专题, 首席服务专员 and 政企早餐会 / 社情民意联系日.

A topic is 销号 (closed out) only when every milestone is done and its leader signs
off; the progress line "交办X件，解决Y件，剩余Z件正解决中" is counted from the linked
appeals, never typed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minyi.accountability.models import AnnualTopic, Engagement, Enterprise, Milestone, Topic
from minyi.appeals.models import Appeal
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

TOPIC_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
ENGAGEMENT_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})


def _require(actor: wf.Actor, roles: frozenset[Role], message: str) -> None:
    if not actor.roles & roles:
        raise wf.ActionForbidden(message)


def create_topic(
    title: str,
    *,
    owner: Any,
    leader: Any,
    by: Any,
    description: str = "",
    department: Any = None,
    milestones: Iterable[tuple[str, dt.date | None]] = (),
    appeals: Iterable[Appeal] = (),
    now: dt.datetime | None = None,
) -> Topic:
    actor = wf.Actor.of(by)
    _require(actor, TOPIC_ROLES, "只有督办员、领导或管理员可以设立专题")
    if len(title.strip()) < 2:
        raise ValidationError({"title": ["请填写专题名称"]})
    with transaction.atomic():
        topic = Topic.objects.create(
            title=title.strip(),
            description=description,
            owner=owner,
            leader=leader,
            department=department,
            created_at=now or timezone.now(),
        )
        for i, (name, due) in enumerate(milestones):
            Milestone.objects.create(topic=topic, title=name, due_on=due, sort=i)
        for appeal in appeals:
            link_appeal(topic, appeal, by=actor)
    return topic


def add_milestone(topic: Topic, title: str, *, by: Any, due_on: dt.date | None = None) -> Milestone:
    actor = wf.Actor.of(by)
    _may_edit(topic, actor)
    if topic.status == Topic.Status.CLOSED:
        raise ValidationError("专题已销号，不能再增加节点")
    sort = topic.milestones.count()
    return Milestone.objects.create(topic=topic, title=title, due_on=due_on, sort=sort)


def _may_edit(topic: Topic, actor: wf.Actor) -> None:
    if actor.user_id in (topic.owner_id, topic.leader_id) or actor.roles & {Role.SUPERVISOR, Role.ADMIN}:
        return
    raise wf.ActionForbidden("只有专题责任人、包案领导或督办员可以修改专题")


def complete_milestone(milestone: Milestone, *, by: Any, note: str = "", now: dt.datetime | None = None) -> Milestone:
    actor = wf.Actor.of(by)
    _may_edit(milestone.topic, actor)
    if milestone.done_at is None:
        milestone.done_at = now or timezone.now()
        milestone.done_note = note
        milestone.save(update_fields=["done_at", "done_note"])
    return milestone


def link_appeal(topic: Topic, appeal: Appeal, *, by: Any) -> None:
    actor = wf.Actor.of(by)
    _may_edit(topic, actor)
    topic.appeals.add(appeal)
    wf.record_note(appeal, by=actor, kind="topic_link", reason=f"纳入疑难专题“{topic.title}”", payload={"topic_id": topic.pk})


def close_out(topic: Topic, *, by: Any, note: str = "", now: dt.datetime | None = None) -> Topic:
    """销号: the topic's leader signs off, and only when every milestone is done."""
    actor = wf.Actor.of(by)
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if actor.user_id != locked.leader_id and Role.ADMIN not in actor.roles:
            raise wf.ActionForbidden("专题销号须由包案领导签批")
        if locked.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号")
        open_steps = list(locked.milestones.filter(done_at__isnull=True).values_list("title", flat=True))
        if open_steps:
            raise ValidationError(f"还有 {len(open_steps)} 个节点未完成（{'、'.join(open_steps)}），不能销号")
        if not locked.milestones.exists():
            raise ValidationError("专题没有任何节点，不能销号")
        moment = now or timezone.now()
        locked.signed_off_at = moment
        locked.closed_at = moment
        locked.close_note = note
        locked.status = Topic.Status.CLOSED
        locked.save()
    return locked


@dataclass(frozen=True)
class Progress:
    assigned: int
    solved: int

    @property
    def remaining(self) -> int:
        return self.assigned - self.solved

    def line(self) -> str:
        return f"交办{self.assigned}件，解决{self.solved}件，剩余{self.remaining}件正解决中"


def progress(topic: Topic) -> Progress:
    """Counted from the linked appeals: solved means 已办结 (closed)."""
    linked = topic.appeals.all()
    return Progress(linked.count(), linked.filter(status=State.CLOSED).count())


def assign_officer(credit_code: str, name: str, officer: Any, *, by: Any, since: dt.date | None = None) -> Enterprise:
    """首席服务专员: one officer per enterprise (by 统一社会信用代码)."""
    actor = wf.Actor.of(by)
    _require(actor, frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN}), "只有督办员、领导或管理员可以指定首席服务专员")
    enterprise, _ = Enterprise.objects.update_or_create(
        credit_code=credit_code.strip().upper(),
        defaults={"name": name, "officer": officer, "officer_since": since or timezone.localdate()},
    )
    return enterprise


def officer_for(appeal: Appeal) -> Any:
    if not appeal.credit_code:
        return None
    enterprise = Enterprise.objects.filter(credit_code=appeal.credit_code).select_related("officer").first()
    return enterprise.officer if enterprise is not None else None


def record_engagement(
    kind: str,
    date: dt.date,
    topic: AnnualTopic,
    *,
    by: Any,
    enterprises: Iterable[Enterprise] = (),
    appeals: Iterable[Appeal] = (),
    host: str = "",
    place: str = "",
    notes: str = "",
) -> Engagement:
    """政企早餐会 / 社情民意联系日, on a topic from that year's list."""
    actor = wf.Actor.of(by)
    _require(actor, ENGAGEMENT_ROLES, "您没有登记活动的权限")
    if kind not in Engagement.Kind.values:
        raise ValidationError({"kind": ["活动类型无效"]})
    if topic.year != date.year:
        raise ValidationError({"topic": [f"主题须选自 {date.year} 年度主题清单"]})
    with transaction.atomic():
        event = Engagement.objects.create(kind=kind, date=date, topic=topic, host=host, place=place, notes=notes)
        event.enterprises.set(list(enterprises))
        event.appeals.set(list(appeals))
    return event
