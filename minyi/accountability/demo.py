"""Demo data for accountability: merges with subs, 督办单 answers, topics, enterprises, events.

Called by ``minyi.appeals.demo.seed_demo`` after the appeals, inside one transaction,
with back-dated times; everything goes through the real actions.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from minyi.accountability import topics
from minyi.accountability.models import AnnualTopic, Engagement, Topic
from minyi.appeals import services
from minyi.appeals.models import Appeal, SubmitterType
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State

if TYPE_CHECKING:
    from minyi.appeals.demo import Seeder

EXTRA_APPEALS = 10  # two merge clusters of a main appeal and three subs; one arbitration; one return
ANNUAL_TOPICS = ["优化营商环境", "老旧小区改造", "背街小巷整治", "惠企政策直达", "安全生产"]


def _intake(seeder: Seeder, when: dt.datetime, **overrides: Any) -> Appeal:
    data, _category, _cell = seeder._intake_data()
    for key, value in overrides.items():
        setattr(data, key, value)
    appeal, _ = services.intake_appeal(data, by=seeder.cast.operator, now=when)
    return appeal


def _merge_cluster(seeder: Seeder, start: dt.datetime, *, answered: bool) -> Appeal:
    """A main appeal with three subs; if ``answered``, the main's reply reaches every sub."""
    cast = seeder.cast
    zjj = Department.objects.get(code="zjj")
    title = "湖滨新村电梯停运（多人反映）"
    main = _intake(seeder, start, title=title)
    subs = [_intake(seeder, start + dt.timedelta(hours=i + 1), title=title) for i in range(3)]
    for sub in subs:
        wf.perform(sub, Event.MERGE, by=cast.dispatcher, merge_into=main, reason=f"与 {main.number} 反映同一问题", now=start + dt.timedelta(hours=4))
    handler = cast.handlers.get(zjj.pk, cast.dispatcher)
    t = start + dt.timedelta(hours=5)
    wf.perform(main, Event.DISPATCH, by=cast.dispatcher, department=zjj, now=t)
    if not answered:
        return main
    wf.perform(main, Event.CLAIM, by=handler, now=t + dt.timedelta(hours=2))
    wf.perform(main, Event.REPLY, by=handler, reply="已督促物业更换电梯主板，电梯于本周恢复运行。", now=t + dt.timedelta(days=1))
    wf.perform(main, Event.APPROVE_REPLY, by=cast.dispatcher, now=t + dt.timedelta(days=1, hours=2))
    for i, appeal in enumerate([main, *subs][:2]):
        wf.perform(appeal, Event.CLOSE, by=cast.operator, satisfaction=5 - i, resolved=True, now=t + dt.timedelta(days=2))
    return main


def _arbitration_and_return(seeder: Seeder, anchor: dt.datetime) -> None:
    """One appeal rated bad twice (差评待仲裁) and one return awaiting the dispatcher (退单待审核)."""
    cast = seeder.cast
    zjj = Department.objects.get(code="zjj")
    handler = cast.handlers.get(zjj.pk, cast.dispatcher)
    t = anchor - dt.timedelta(days=6)
    appeal = _intake(seeder, t, title="望月里小区门口积水严重")

    def at(hours: float) -> dt.datetime:
        return t + dt.timedelta(hours=hours)

    wf.perform(appeal, Event.DISPATCH, by=cast.dispatcher, department=zjj, now=at(1))
    for round_start, text in ((2, "已疏通雨水口。"), (60, "整改：已新增排水管道并完成路面抬高。")):
        wf.perform(appeal, Event.CLAIM, by=handler, now=at(round_start))
        wf.perform(appeal, Event.REPLY, by=handler, reply=text, now=at(round_start + 20))
        wf.perform(appeal, Event.APPROVE_REPLY, by=cast.dispatcher, now=at(round_start + 22))
        if round_start == 2:
            wf.perform(appeal, Event.REOPEN, by=cast.operator, satisfaction=2, resolved=False, comment="下雨还是积水", now=at(40))
    wf.perform(appeal, Event.REFER_ARBITRATION, by=cast.operator, satisfaction=1, resolved=False, comment="整改后依旧积水", now=at(100))
    returned = _intake(seeder, anchor - dt.timedelta(days=1), title="青石弄共享单车乱停放")
    wf.perform(returned, Event.DISPATCH, by=cast.dispatcher, department=zjj, now=anchor - dt.timedelta(hours=20))
    wf.perform(returned, Event.RETURN, by=handler, reason="共享单车停放管理属城管局职责", reason_code="not_our_duty", now=anchor - dt.timedelta(hours=10))


def seed_accountability(seeder: Seeder, anchor: dt.datetime) -> None:
    cast = seeder.cast
    _arbitration_and_return(seeder, anchor)
    users = get_user_model().objects
    leader = users.get(username="leader")
    officer = users.get(username="officer")
    _merge_cluster(seeder, anchor - dt.timedelta(days=10), answered=True)
    _merge_cluster(seeder, anchor - dt.timedelta(days=2), answered=False)

    # A few 督办单 issued by hand, one already answered in writing by the department.
    candidates = list(Appeal.objects.filter(status=State.IN_PROGRESS, department__isnull=False).order_by("reply_due_at")[:3])
    for i, appeal in enumerate(candidates):
        when = anchor - dt.timedelta(hours=6 - i)
        wf.perform(appeal, Event.SUPERVISE, by=cast.supervisor, reason="群众多次来电反映，请加快办理", now=when)
        if i == 0:
            from minyi.accountability.services import respond_to_order

            handler = cast.handlers.get(appeal.department_id or 0)
            order = appeal.supervision_orders.order_by("-id").first()
            if handler is not None and order is not None:
                respond_to_order(order, response="已召开专题会研究，责成物业科三日内完成整改并回复诉求人。", by=handler, now=when + dt.timedelta(hours=2))

    # 首席服务专员 for the demo enterprises that raised appeals.
    seen: dict[str, str] = {}
    for code, name in Appeal.objects.filter(submitter_type=SubmitterType.ENTERPRISE).values_list("credit_code", "submitter_name"):
        if code and code not in seen and len(seen) < 12:
            seen[code] = name
    enterprises = [
        topics.assign_officer(code, name or "企业", officer, by=cast.supervisor, since=anchor.date() - dt.timedelta(days=60))
        for code, name in seen.items()
    ]

    # The year's topic list, two 政企早餐会 and a 社情民意联系日.
    for title in ANNUAL_TOPICS:
        AnnualTopic.objects.get_or_create(year=anchor.year, title=title)
    enterprise_appeals = list(Appeal.objects.filter(submitter_type=SubmitterType.ENTERPRISE).order_by("created_at")[:6])
    if not Engagement.objects.exists():
        for i, (kind, days, topic) in enumerate(
            [(Engagement.Kind.BREAKFAST, 40, 0), (Engagement.Kind.CONTACT_DAY, 25, 2), (Engagement.Kind.BREAKFAST, 8, 3)]
        ):
            day = (anchor - dt.timedelta(days=days)).date()
            topic_for_year = AnnualTopic.objects.get_or_create(year=day.year, title=ANNUAL_TOPICS[topic])[0]
            topics.record_engagement(
                kind,
                day,
                topic_for_year,
                by=cast.operator,
                enterprises=enterprises[i * 3 : i * 3 + 4],
                appeals=enterprise_appeals[i * 2 : i * 2 + 2],
                host="张书记",
                place="区政务服务中心三楼会议室",
                notes="企业代表现场反映问题，已登记为诉求并交办。",
            )

    # Two 疑难专题: one closed out (every milestone done, leader signed), one still in progress.
    if not Topic.objects.exists():
        old = list(Appeal.objects.filter(category__code="cxjs-wy").order_by("created_at")[:8])
        done = topics.create_topic(
            "湖滨新村老旧电梯集中更新",
            owner=cast.supervisor,
            leader=leader,
            by=cast.supervisor,
            department=Department.objects.get(code="zjj"),
            description="小区 12 部电梯使用超过 20 年，故障频发，群众反复来电。",
            milestones=[("摸排电梯现状", None), ("确定资金方案", None), ("完成更新改造", None)],
            appeals=old[:4],
            now=anchor - dt.timedelta(days=60),
        )
        for m in done.milestones.all():
            topics.complete_milestone(m, by=cast.supervisor, note="已完成", now=anchor - dt.timedelta(days=20))
        topics.close_out(done, by=leader, note="电梯全部更新，群众满意，同意销号", now=anchor - dt.timedelta(days=5))
        running = topics.create_topic(
            "运河码头周边夜间施工噪声治理",
            owner=cast.supervisor,
            leader=leader,
            by=cast.supervisor,
            department=Department.objects.get(code="hbj"),
            description="周边工地夜间施工投诉集中，需要生态环境、城管、住建联合整治。",
            milestones=[("联合执法检查", None), ("工地安装噪声在线监测", None), ("建立夜间施工审批公示制度", None)],
            appeals=list(Appeal.objects.filter(category__code="hjbh-zs").order_by("-created_at")[:6]),
            now=anchor - dt.timedelta(days=30),
        )
        first = running.milestones.order_by("sort").first()
        if first is not None:
            topics.complete_milestone(first, by=cast.supervisor, note="已开展两轮联合检查", now=anchor - dt.timedelta(days=12))
