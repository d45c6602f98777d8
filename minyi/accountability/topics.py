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

from minyi.accountability.models import AnnualTopic, Engagement, Enterprise, Milestone, RecordAudit, Topic
from minyi.appeals.models import Appeal
from minyi.core.roles import roles_of
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

TOPIC_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
ENGAGEMENT_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})


def _require(actor: wf.Actor, roles: frozenset[Role], message: str) -> None:
    if not actor.roles & roles:
        raise wf.ActionForbidden(message)


def _audit(
    event: str,
    *,
    actor: wf.Actor,
    now: dt.datetime,
    topic: Topic | None = None,
    engagement: Engagement | None = None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> RecordAudit:
    """The one audit row of a topic or event action (inside the action's transaction)."""
    return RecordAudit.objects.create(
        topic=topic,
        engagement=engagement,
        at=now,
        actor_id=actor.user_id,
        actor_label=actor.label,
        event=event,
        reason=reason,
        payload=payload or {},
    )


def may_create_topic(user: Any) -> bool:
    return bool(roles_of(user) & TOPIC_ROLES)


def may_edit_topic(topic: Topic, user: Any) -> bool:
    try:
        _may_edit(topic, wf.Actor.of(user))
    except wf.ActionForbidden:
        return False
    return True


def may_record_engagement(user: Any) -> bool:
    return bool(roles_of(user) & ENGAGEMENT_ROLES)


def _clean_title(title: str, field: str, message: str) -> str:
    text = title.strip()
    if len(text) < 2:
        raise ValidationError({field: [message]})
    return text


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
    """立项: one audit row for the topic; each linked appeal gets a note on its own timeline."""
    actor = wf.Actor.of(by)
    _require(actor, TOPIC_ROLES, "只有督办员、领导或管理员可以设立专题")
    text = _clean_title(title, "title", "请填写专题名称")
    moment = now or timezone.now()
    steps = [(name.strip(), due) for name, due in milestones if name.strip()]
    with transaction.atomic():
        topic = Topic.objects.create(
            title=text,
            description=description,
            owner=owner,
            leader=leader,
            department=department,
            created_at=moment,
        )
        for i, (name, due) in enumerate(steps):
            Milestone.objects.create(topic=topic, title=name, due_on=due, sort=i)
        _audit("topic_created", actor=actor, now=moment, topic=topic, reason=text, payload={"milestones": [n for n, _ in steps]})
        for appeal in appeals:
            link_appeal(topic, appeal, by=actor)
    return topic


_TOPIC_FIELDS = ("title", "description", "owner", "leader", "department")


def update_topic(
    topic: Topic,
    *,
    by: Any,
    title: str,
    description: str,
    owner: Any,
    leader: Any,
    department: Any = None,
    now: dt.datetime | None = None,
) -> Topic:
    """修改专题. The owner may edit the text; reassigning the owner or the 包案领导 (who signs off) needs a supervisor, leader or admin."""
    actor = wf.Actor.of(by)
    _may_edit(topic, actor)
    text = _clean_title(title, "title", "请填写专题名称")
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        _may_edit(locked, actor)
        if locked.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号，不能再修改")
        wanted = {
            "title": text,
            "description": description.strip(),
            "owner": getattr(owner, "pk", None),
            "leader": getattr(leader, "pk", None),
            "department": getattr(department, "pk", None),
        }
        before = {f: getattr(locked, f if f in ("title", "description") else f"{f}_id") for f in _TOPIC_FIELDS}
        changed = {f: [before[f], wanted[f]] for f in _TOPIC_FIELDS if before[f] != wanted[f]}
        if not changed:
            return locked
        if {"owner", "leader"} & changed.keys():
            _require(actor, TOPIC_ROLES, "只有督办员、领导或管理员可以更换责任人或包案领导")
        locked.title, locked.description = text, description.strip()
        locked.owner, locked.leader, locked.department = owner, leader, department
        locked.save(update_fields=["title", "description", "owner", "leader", "department"])
        _audit("topic_updated", actor=actor, now=now or timezone.now(), topic=locked, payload={"changed": changed})
    return locked


def add_milestone(
    topic: Topic, title: str, *, by: Any, due_on: dt.date | None = None, now: dt.datetime | None = None
) -> Milestone:
    actor = wf.Actor.of(by)
    _may_edit(topic, actor)
    text = _clean_title(title, "title", "请填写节点名称")
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        _may_edit(locked, actor)
        if locked.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号，不能再增加节点")
        sort = locked.milestones.count()
        milestone = Milestone.objects.create(topic=locked, title=text, due_on=due_on, sort=sort)
        _audit(
            "milestone_added",
            actor=actor,
            now=now or timezone.now(),
            topic=locked,
            reason=text,
            payload={"milestone_id": milestone.pk, "due_on": due_on.isoformat() if due_on else None},
        )
    return milestone


def _may_edit(topic: Topic, actor: wf.Actor) -> None:
    if actor.user_id in (topic.owner_id, topic.leader_id) or actor.roles & {Role.SUPERVISOR, Role.ADMIN}:
        return
    raise wf.ActionForbidden("只有专题责任人、包案领导或督办员可以修改专题")


def complete_milestone(milestone: Milestone, *, by: Any, note: str = "", now: dt.datetime | None = None) -> Milestone:
    """Mark a step done (once: completing a done step changes nothing and writes nothing)."""
    actor = wf.Actor.of(by)
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().select_related("topic").get(pk=milestone.pk)
        _may_edit(locked.topic, actor)
        if locked.done_at is not None:
            return locked
        if locked.topic.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号")
        locked.done_at = now or timezone.now()
        locked.done_note = note.strip()
        locked.save(update_fields=["done_at", "done_note"])
        _audit(
            "milestone_completed", actor=actor, now=locked.done_at, topic=locked.topic, reason=locked.done_note,
            payload={"milestone_id": locked.pk, "title": locked.title},
        )
    return locked


def link_appeal(topic: Topic, appeal: Appeal, *, by: Any, now: dt.datetime | None = None) -> bool:
    """纳入专题: audited on the appeal's timeline. Returns False (and writes nothing) if already linked."""
    actor = wf.Actor.of(by)
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        _may_edit(locked, actor)
        if locked.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号，不能再关联诉求")
        if locked.appeals.filter(pk=appeal.pk).exists():
            return False
        locked.appeals.add(appeal)
        wf.record_note(
            appeal, by=actor, kind="topic_link", reason=f"纳入疑难专题“{locked.title}”", payload={"topic_id": locked.pk}, now=now
        )
    return True


def may_close_out(topic: Topic, user: Any) -> bool:
    """Only the topic's leader (包案领导) signs off; an admin may stand in."""
    actor = wf.Actor.of(user)
    return actor.user_id == topic.leader_id or Role.ADMIN in actor.roles


def close_out(topic: Topic, *, by: Any, note: str = "", now: dt.datetime | None = None) -> Topic:
    """销号: the topic's leader signs off, and only when every milestone is done and every linked appeal is closed."""
    actor = wf.Actor.of(by)
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if not may_close_out(locked, by):
            raise wf.ActionForbidden("专题销号须由包案领导签批")
        if locked.status == Topic.Status.CLOSED:
            raise ValidationError("专题已销号")
        open_steps = list(locked.milestones.filter(done_at__isnull=True).values_list("title", flat=True))
        if open_steps:
            raise ValidationError(f"还有 {len(open_steps)} 个节点未完成（{'、'.join(open_steps)}），不能销号")
        if not locked.milestones.exists():
            raise ValidationError("专题没有任何节点，不能销号")
        unresolved = progress(locked).remaining
        if unresolved:
            raise ValidationError(f"还有 {unresolved} 件关联诉求未办结，不能销号：问题解决后方可销号")
        moment = now or timezone.now()
        locked.signed_off_at = moment
        locked.closed_at = moment
        locked.close_note = note
        locked.status = Topic.Status.CLOSED
        locked.save()
        _audit("topic_closed_out", actor=actor, now=moment, topic=locked, reason=note)
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
    now: dt.datetime | None = None,
) -> Engagement:
    """政企早餐会 / 社情民意联系日, on a topic from that year's list."""
    actor = wf.Actor.of(by)
    _require(actor, ENGAGEMENT_ROLES, "您没有登记活动的权限")
    _check_engagement(kind, date, topic)
    with transaction.atomic():
        event = Engagement.objects.create(kind=kind, date=date, topic=topic, host=host.strip(), place=place.strip(), notes=notes.strip())
        invited = list(enterprises)
        event.enterprises.set(invited)
        _audit(
            "engagement_recorded",
            actor=actor,
            now=now or timezone.now(),
            engagement=event,
            reason=str(event),
            payload={"enterprises": [e.pk for e in invited]},
        )
        for appeal in appeals:
            add_engagement_appeal(event, appeal, by=actor, now=now)
    return event


def _check_engagement(kind: str, date: dt.date, topic: AnnualTopic) -> None:
    if kind not in Engagement.Kind.values:
        raise ValidationError({"kind": ["活动类型无效"]})
    if topic.year != date.year:
        raise ValidationError({"topic": [f"主题须选自 {date.year} 年度主题清单"]})


def update_engagement(
    event: Engagement,
    *,
    by: Any,
    kind: str,
    date: dt.date,
    topic: AnnualTopic,
    enterprises: Iterable[Enterprise] = (),
    host: str = "",
    place: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> Engagement:
    """修改活动记录 (the appeals raised there are added one by one with ``add_engagement_appeal``)."""
    actor = wf.Actor.of(by)
    _require(actor, ENGAGEMENT_ROLES, "您没有登记活动的权限")
    _check_engagement(kind, date, topic)
    with transaction.atomic():
        locked = Engagement.objects.select_for_update().get(pk=event.pk)
        wanted: dict[str, Any] = {
            "kind": kind, "date": date, "topic_id": topic.pk, "host": host.strip(), "place": place.strip(), "notes": notes.strip()
        }
        changed = {f: [_plain(getattr(locked, f)), _plain(v)] for f, v in wanted.items() if getattr(locked, f) != v}
        invited = sorted(e.pk for e in enterprises)
        before = sorted(locked.enterprises.values_list("pk", flat=True))
        if invited != before:
            changed["enterprises"] = [before, invited]
        if not changed:
            return locked
        for f, v in wanted.items():
            setattr(locked, f, v)
        locked.save()
        locked.enterprises.set(invited)
        _audit("engagement_updated", actor=actor, now=now or timezone.now(), engagement=locked, payload={"changed": changed})
    return locked


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def add_engagement_appeal(event: Engagement, appeal: Appeal, *, by: Any, now: dt.datetime | None = None) -> bool:
    """现场提出的诉求: audited on the appeal's timeline. Returns False (and writes nothing) if already recorded."""
    actor = wf.Actor.of(by)
    _require(actor, ENGAGEMENT_ROLES, "您没有登记活动的权限")
    with transaction.atomic():
        locked = Engagement.objects.select_for_update().select_related("topic").get(pk=event.pk)
        if locked.appeals.filter(pk=appeal.pk).exists():
            return False
        locked.appeals.add(appeal)
        wf.record_note(
            appeal,
            by=actor,
            kind="engagement_link",
            reason=f"{locked.date:%Y-%m-%d}{locked.get_kind_display()}现场提出",
            payload={"engagement_id": locked.pk},
            now=now,
        )
    return True
