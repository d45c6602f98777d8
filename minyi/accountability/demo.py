"""Demo data for accountability: merges with subs, 督办单 answers, topics, enterprises, events.

Called by ``minyi.appeals.demo.seed_demo`` after the appeals, inside one transaction,
with back-dated times; everything goes through the real actions.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Max

from minyi.accountability import topics
from minyi.accountability.models import AnnualTopic, Engagement, Topic
from minyi.appeals import demo_data, services
from minyi.appeals.models import Appeal, SubmitterType
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event, State

if TYPE_CHECKING:
    from minyi.appeals.demo import Seeder

# Two merge clusters of a main appeal and three subs, one arbitration, one return, three events' three appeals each,
# four lift appeals in a closed 专题 and six noise appeals in an open one.
EXTRA_APPEALS = 2 * 4 + 1 + 1 + 3 * 3 + 4 + 6
# The year's 政企早餐会 / 社情民意联系日 programme: twelve topics, as in the district's own account (人工智能, 消费新业态,
# 古建老宅活化利用 … "全年设置12个重点交流主题").
ANNUAL_TOPICS = [
    "人工智能",
    "消费新业态",
    "古建老宅活化利用",
    "优化营商环境",
    "惠企政策直达",
    "科技创新与成果转化",
    "数字经济",
    "先进制造业",
    "专精特新企业培育",
    "人才引育",
    "金融服务实体经济",
    "安全生产",
]


def _intake(seeder: Seeder, when: dt.datetime, like: Appeal | None = None, **pins: Any) -> Appeal:
    """A coherent appeal registered at ``when`` (``pins`` as in ``Seeder._intake_data``); ``like`` copies another
    appeal's title, content, place and category: a second caller reporting the same thing."""
    data, category, _cell = seeder._intake_data(when, **pins)
    if like is not None:
        data.title, data.content, data.address, data.grid, data.kind = like.title, like.content, like.address, like.grid, like.kind
    appeal, _ = services.intake_appeal(data, by=seeder.cast.operator, now=when)
    if like is None:
        appeal.category = category  # what the dispatcher will file it under (set by the dispatch below)
    return appeal


def _department(seeder: Seeder, appeal: Appeal) -> Department:
    assert appeal.category is not None
    assert appeal.grid is not None
    return seeder._department_for(appeal.category, appeal.grid)


def _merge_cluster(seeder: Seeder, start: dt.datetime, *, answered: bool) -> Appeal:
    """A main appeal with three subs (neighbours calling about the same thing); if ``answered``, the main's reply reaches every sub."""
    cast = seeder.cast
    if answered:
        main = _intake(seeder, start, code="csgl-hw", title_has="垃圾清运不及时", cell_code="qfjd-qs", place="青石新村", channel_code="12345")
        reply = "已督促环卫公司增加清运频次，每日早晚各清运一次，现场垃圾已清理干净。"
    else:
        main = _intake(seeder, start, code="cxjs-wy", title_has="电梯", cell_code="mhjd-wy", place="望月里", channel_code="12345")
        reply = ""
    subs = [_intake(seeder, start + dt.timedelta(hours=i + 1), like=main, channel_code="12345") for i in range(3)]
    for i, sub in enumerate(subs):
        wf.perform(sub, Event.MERGE, by=cast.dispatcher, merge_into=main, reason=f"与 {main.number} 反映同一问题", now=start + dt.timedelta(hours=4, minutes=i))
    department = _department(seeder, main)
    handler = cast.handlers.get(department.pk, cast.dispatcher)
    t = start + dt.timedelta(hours=5)
    assert main.category is not None
    wf.perform(main, Event.DISPATCH, by=cast.dispatcher, department=department, category=main.category, now=t)
    if not answered:
        return main
    wf.perform(main, Event.CLAIM, by=handler, now=t + dt.timedelta(hours=2))
    wf.perform(main, Event.REPLY, by=handler, reply=reply, now=t + dt.timedelta(days=1))
    wf.perform(main, Event.APPROVE_REPLY, by=cast.dispatcher, now=t + dt.timedelta(days=1, hours=2))
    for i, appeal in enumerate([main, *subs][:2]):
        wf.perform(appeal, Event.CLOSE, by=cast.operator, satisfaction=5 - i, resolved=True, now=t + dt.timedelta(days=2, minutes=i))
    return main


def _arbitration_and_return(seeder: Seeder, anchor: dt.datetime) -> None:
    """One appeal rated bad twice (差评待仲裁) and one return awaiting the dispatcher (退单待审核)."""
    cast = seeder.cast
    t = anchor - dt.timedelta(days=6)
    appeal = _intake(seeder, t, code="cxjs-sz", title_has="路灯", cell_code="mhjd-wy", place="望月里", channel_code="12345")
    department = _department(seeder, appeal)
    handler = cast.handlers.get(department.pk, cast.dispatcher)

    def at(hours: float) -> dt.datetime:
        return t + dt.timedelta(hours=hours)

    wf.perform(appeal, Event.DISPATCH, by=cast.dispatcher, department=department, category=appeal.category, now=at(1))
    for round_start, text in ((2, "已更换损坏的灯具，路灯恢复照明。"), (60, "整改：已更换老化线路和全部灯具，整段路灯恢复照明。")):
        wf.perform(appeal, Event.CLAIM, by=handler, now=at(round_start))
        wf.perform(appeal, Event.REPLY, by=handler, reply=text, now=at(round_start + 20))
        wf.perform(appeal, Event.APPROVE_REPLY, by=cast.dispatcher, now=at(round_start + 22))
        if round_start == 2:
            wf.perform(appeal, Event.REOPEN, by=cast.operator, satisfaction=2, resolved=False, comment="晚上还是有一段不亮", now=at(40))
    wf.perform(appeal, Event.REFER_ARBITRATION, by=cast.operator, satisfaction=1, resolved=False, comment="整改后仍有路段不亮", now=at(100))
    # 占道经营 is the street's 综合执法, not 住建: the bureau hands it back and the dispatcher has yet to decide.
    returned = _intake(seeder, anchor - dt.timedelta(days=1), code="csgl-wz", title_has="占道经营", cell_code="qfjd-ft", channel_code="12345")
    zjj = Department.objects.get(code="zjj")
    wf.perform(returned, Event.DISPATCH, by=cast.dispatcher, department=zjj, category=returned.category, now=anchor - dt.timedelta(hours=20))
    wf.perform(
        returned,
        Event.RETURN,
        by=cast.handlers.get(zjj.pk, cast.dispatcher),
        reason="违法搭建查处和占道经营整治属街道综合行政执法职责，不属住建部门。",
        reason_code="not_our_duty",
        now=anchor - dt.timedelta(hours=10),
    )


def _second_sunday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)


def _engagement_days(anchor: dt.datetime, count: int) -> list[dt.date]:
    """The last ``count`` second Sundays of a month before the anchor (每月第二个星期日), oldest first."""
    days: list[dt.date] = []
    year, month = anchor.year, anchor.month
    while len(days) < count:
        day = _second_sunday(year, month)
        if day < anchor.date():
            days.append(day)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(days)


def _engagements(seeder: Seeder, anchor: dt.datetime) -> None:
    """The year's programme, and the last three events: each with the enterprises invited and the appeals they raised there."""
    cast = seeder.cast
    officer = get_user_model().objects.get(username="officer")
    for title in ANNUAL_TOPICS:
        AnnualTopic.objects.get_or_create(year=anchor.year, title=title)
    plan = [(Engagement.Kind.BREAKFAST, "zqzch"), (Engagement.Kind.CONTACT_DAY, "sqmy"), (Engagement.Kind.BREAKFAST, "zqzch")]
    for i, (day, (kind, channel)) in enumerate(zip(_engagement_days(anchor, len(plan)), plan, strict=True)):
        topic = AnnualTopic.objects.get_or_create(year=day.year, title=ANNUAL_TOPICS[i])[0]
        opened = dt.datetime.combine(day, dt.time(8, 0), tzinfo=SHANGHAI)
        event = topics.record_engagement(
            kind,
            day,
            topic,
            by=cast.operator,
            host="张书记",
            place="区政务服务中心三楼会议室",
            notes="企业代表现场反映问题，已登记为诉求并交办。",
            now=opened,
        )

        def raised_here(appeal: Appeal, event: Engagement = event) -> None:
            topics.add_engagement_appeal(event, appeal, by=cast.operator, now=appeal.created_at + dt.timedelta(minutes=1))

        raised = [seeder.one(opened + dt.timedelta(hours=2, minutes=15 * n), after_intake=raised_here, channel_code=channel) for n in range(3)]
        # The enterprises that spoke, and a few more invited; each with its 首席服务专员.
        names = sorted({a.submitter_name for a in raised if a.submitter_type == SubmitterType.ENTERPRISE})
        names += [n for n in demo_data.ENTERPRISES[i * 3 : i * 3 + 4] if n not in names]
        invited = [
            topics.assign_officer(demo_data.enterprise_code(name), name, officer, by=cast.supervisor, since=anchor.date() - dt.timedelta(days=120))
            for name in names
        ]
        topics.update_engagement(
            event,
            by=cast.operator,
            kind=event.kind,
            date=event.date,
            topic=event.topic,
            enterprises=invited,
            host=event.host,
            place=event.place,
            notes=event.notes,
            now=opened,
        )


def _elevator_topic(seeder: Seeder, anchor: dt.datetime, leader: Any) -> None:
    """疑难专题, closed out: 湖滨新村's old lifts, reported again and again, replaced; every linked appeal is about a lift there."""
    cast = seeder.cast
    created = anchor - dt.timedelta(days=60)
    appeals = []
    for n in range(4):
        appeal = _intake(
            seeder, created - dt.timedelta(days=15 - 3 * n), code="cxjs-wy", title_has="电梯", cell_code="mhjd-hb", place="湖滨新村", channel_code="12345"
        )
        department = _department(seeder, appeal)
        handler = cast.handlers.get(department.pk, cast.dispatcher)
        wf.perform(appeal, Event.DISPATCH, by=cast.dispatcher, department=department, category=appeal.category, now=appeal.created_at + dt.timedelta(hours=2))
        wf.perform(appeal, Event.CLAIM, by=handler, now=appeal.created_at + dt.timedelta(hours=20))
        appeals.append((appeal, handler))
    topic = topics.create_topic(
        "湖滨新村老旧电梯集中更新",
        owner=cast.supervisor,
        leader=leader,
        by=cast.supervisor,
        department=Department.objects.get(code="zjj"),
        description="湖滨新村 12 部电梯使用超过 20 年，故障频发，群众反复来电。",
        milestones=[("摸排电梯现状", None), ("确定资金方案", None), ("完成更新改造", None)],
        now=created,
    )
    for appeal, _handler in appeals:
        topics.link_appeal(topic, appeal, by=cast.supervisor, now=created + dt.timedelta(minutes=5))
    steps = list(topic.milestones.order_by("sort"))
    topics.complete_milestone(steps[0], by=cast.supervisor, note="已逐部检测，12 部电梯均需更换主机和控制系统", now=anchor - dt.timedelta(days=50))
    topics.complete_milestone(steps[1], by=cast.supervisor, note="维修资金与老旧小区改造资金各承担一半", now=anchor - dt.timedelta(days=35))
    for n, (appeal, handler) in enumerate(appeals):
        done = anchor - dt.timedelta(days=24, hours=-n)
        wf.perform(appeal, Event.REPLY, by=handler, reply="您反映的电梯已纳入湖滨新村电梯集中更新，新电梯已安装调试完毕并通过验收，恢复运行。", now=done)
        wf.perform(appeal, Event.APPROVE_REPLY, by=cast.dispatcher, now=done + dt.timedelta(hours=3))
        wf.perform(appeal, Event.CLOSE, by=cast.operator, satisfaction=5, resolved=True, now=done + dt.timedelta(days=1))
    topics.complete_milestone(steps[2], by=cast.supervisor, note="12 部电梯全部更新并通过特种设备检验", now=anchor - dt.timedelta(days=21))
    topics.close_out(topic, by=leader, note="电梯全部更新，群众满意，同意销号", now=anchor - dt.timedelta(days=5))


def _noise_topic(seeder: Seeder, anchor: dt.datetime, leader: Any) -> None:
    """疑难专题 in progress: night works by the canal; the complaints that came in since it opened are linked as they arrive."""
    cast = seeder.cast
    created = anchor - dt.timedelta(days=30)
    topic = topics.create_topic(
        "运河码头周边夜间施工噪声治理",
        owner=cast.supervisor,
        leader=leader,
        by=cast.supervisor,
        department=Department.objects.get(code="hbj"),
        description="运河码头周边工地夜间施工投诉集中，需要生态环境、城管、住建联合整治。",
        milestones=[("联合执法检查", None), ("工地安装噪声在线监测", None), ("建立夜间施工审批公示制度", None)],
        now=created,
    )

    def linked(appeal: Appeal) -> None:
        topics.link_appeal(topic, appeal, by=cast.supervisor, now=appeal.created_at + dt.timedelta(minutes=1))

    for days in (27, 22, 16, 12, 6, 2):
        seeder.one(
            anchor - dt.timedelta(days=days, hours=-21),
            after_intake=linked,
            code="hjbh-zs",
            title_has="夜间施工",
            cell_code="lajd-yh",
            place="运河人家",
            channel_code="12345",
        )
    first = topic.milestones.order_by("sort").first()
    if first is not None:
        topics.complete_milestone(first, by=cast.supervisor, note="已开展两轮联合检查", now=anchor - dt.timedelta(days=12))


def _supervision_orders(seeder: Seeder, anchor: dt.datetime) -> None:
    """A few 督办单 issued by hand, after each appeal's latest step; one already answered in writing by the department."""
    cast = seeder.cast
    from minyi.accountability.services import respond_to_order

    issued = 0
    for appeal in Appeal.objects.filter(status=State.IN_PROGRESS, department__isnull=False).order_by("reply_due_at")[:10]:
        latest = appeal.audit.aggregate(latest=Max("at"))["latest"]
        when = max(anchor - dt.timedelta(hours=6 - issued), latest + dt.timedelta(minutes=30))
        if when + dt.timedelta(hours=2) >= anchor:
            continue
        wf.perform(appeal, Event.SUPERVISE, by=cast.supervisor, reason="群众多次来电反映，请加快办理", now=when)
        if issued == 0:
            handler = cast.handlers.get(appeal.department_id or 0)
            order = appeal.supervision_orders.order_by("-id").first()
            if handler is not None and order is not None:
                respond_to_order(order, response="已召开专题会研究，责成物业三日内完成整改并回复诉求人。", by=handler, now=when + dt.timedelta(hours=2))
        issued += 1
        if issued == 3:
            return


def seed_accountability(seeder: Seeder, anchor: dt.datetime) -> None:
    leader = get_user_model().objects.get(username="leader")
    _arbitration_and_return(seeder, anchor)
    _merge_cluster(seeder, anchor - dt.timedelta(days=10), answered=True)
    _merge_cluster(seeder, anchor - dt.timedelta(days=2), answered=False)
    _supervision_orders(seeder, anchor)
    if not Engagement.objects.exists():
        _engagements(seeder, anchor)
    if not Topic.objects.exists():
        _elevator_topic(seeder, anchor, leader)
        _noise_topic(seeder, anchor, leader)
