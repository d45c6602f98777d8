"""Deterministic demo data: accounts for every role and appeals in every lifecycle state.

Appeals go through the real actions (intake, then ``workflow.services.perform``) with
back-dated times, so the audit trail, SLA stamps and rates are what production would
record. The same seed and anchor day give the same appeals. About 6 % of dispatches first go to a
plausible but wrong department and are corrected by 转派 or 退单, as on a real dispatch desk.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from minyi.accounts.permissions import STAFF_ROLES, group_for
from minyi.appeals import demo_data
from minyi.appeals.models import Appeal, Kind, Priority, SubmitterType
from minyi.appeals.services import IntakeData, intake_appeal
from minyi.directory.defaults import load_defaults
from minyi.directory.models import Category, Channel, Department, GridCell, StaffProfile
from minyi.proposals.demo import seed_for_demo as seed_proposals_for_demo
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event, State
from minyi.workflow.policy import Role

# Printed on purpose; demo only. The password policy refuses it whenever debug is off
# (minyi.accounts.validators.KNOWN_DEFAULT_PASSWORDS), and the demo accounts skip the policy only
# because they are written here directly, for `make demo` and the browser tests.
DEMO_PASSWORD = "minyi-demo-2026"  # noqa: S105

# (username, full name, role, department code)
DEMO_ACCOUNTS: list[tuple[str, str, Role, str | None]] = [
    ("operator", "受理员 周敏", Role.OPERATOR, "sjj-12345"),
    ("dispatcher", "派单员 陈晓", Role.DISPATCHER, "sjj-12345"),
    ("handler", "承办人 李强（区住建局）", Role.HANDLER, "zjj"),
    ("street", "承办人 王芳（明湖街道）", Role.HANDLER, "mhjd"),
    ("supervisor", "督办员 刘洋", Role.SUPERVISOR, "sjj"),
    ("leader", "领导 张书记", Role.LEADER, "mh"),
    ("officer", "首席服务专员 孙悦（区商务局）", Role.SUPERVISOR, "swj"),
    ("admin", "系统管理员", Role.ADMIN, "sjj"),
    ("secadmin", "安全管理员", Role.SECADMIN, None),
    ("auditor", "审计管理员", Role.AUDITOR, None),
]

# Chance that an appeal of a category in ``demo_data.MISROUTES`` is first dispatched to a plausible but wrong
# department and then corrected: about 6 % of all dispatches.
MISROUTE_RATE = 0.08

CHANNEL_WEIGHTS = {"12345": 55, "sst": 10, "zqzch": 3, "sqmy": 4, "dzf": 6, "ssp": 10, "wzxx": 8, "cl": 2, "rdjy": 1, "zxta": 1}


def ensure_demo_accounts() -> list[tuple[str, str, str]]:
    """Create the demo logins (idempotent) and a handler for every bureau and street."""
    user_model = get_user_model()
    accounts = [*DEMO_ACCOUNTS]
    for dept in Department.objects.filter(kind__in=[Department.Kind.BUREAU, Department.Kind.STREET]).order_by("code"):
        accounts.append((f"h-{dept.code}", f"承办人（{dept.name}）", Role.HANDLER, dept.code))
    printed = []
    hashed = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once
    for username, full_name, role, dept_code in accounts:
        user, created = user_model.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.password = hashed
        # No superuser, even in the demo: the three admins reach /admin/ through their groups' permissions.
        user.is_staff = role in STAFF_ROLES
        user.is_superuser = False
        user.save()
        user.groups.add(group_for(role))
        department = Department.objects.filter(code=dept_code).first() if dept_code else None
        StaffProfile.objects.update_or_create(user=user, defaults={"department": department})
        if not username.startswith("h-"):
            printed.append((username, DEMO_PASSWORD, full_name))
    return printed


@dataclass(frozen=True)
class Misroute:
    """A first dispatch to the wrong department, and what that department says when it hands the appeal back."""

    department: Department
    category: Category
    reason: str
    reason_code: str


@dataclass
class Cast:
    operator: Any
    dispatcher: Any
    supervisor: Any
    handlers: dict[int, Any]


def _cast() -> Cast:
    users = get_user_model().objects
    handlers: dict[int, Any] = {}
    for profile in StaffProfile.objects.select_related("user").filter(user__groups__name=Role.HANDLER.value):
        if profile.department_id is not None:
            handlers.setdefault(profile.department_id, profile.user)
    return Cast(users.get(username="operator"), users.get(username="dispatcher"), users.get(username="supervisor"), handlers)


# Channels whose appeals come from enterprises (苏商通, 政企早餐会) or are written as suggestions (人大建议, 政协提案),
# and the 残联's referrals, which are about disabled people's services.
ENTERPRISE_CHANNELS = frozenset({"sst", "zqzch"})
SUGGESTION_CHANNELS = frozenset({"rdjy", "zxta"})
CHANNEL_CATEGORIES = {"cl": frozenset({"mzfw-cj"})}


def _fits_channel(channel_code: str, code: str, template: demo_data.Template) -> bool:
    if channel_code in ENTERPRISE_CHANNELS:
        return template.who != demo_data.PERSON
    if channel_code in SUGGESTION_CHANNELS:
        return template.kind == Kind.SUGGESTION
    return code in CHANNEL_CATEGORIES.get(channel_code, frozenset([code]))


class Seeder:
    def __init__(self, seed: int, anchor: dt.datetime) -> None:
        self.rng = random.Random(seed)
        # Misroutes draw from their own stream, so they disturb the other stories as little as possible.
        self.misroute_rng = random.Random(f"misroute-{seed}")
        self.anchor = anchor
        self.cast = _cast()
        self.channels = {c.code: c for c in Channel.objects.all()}
        self.categories = {c.code: c for c in Category.objects.filter(level=2).select_related("default_department")}
        self.communities = list(GridCell.objects.filter(level=GridCell.Level.COMMUNITY).select_related("parent__department").order_by("code"))
        self.aliases = {c.pk: [a.strip() for a in c.aliases.splitlines() if a.strip()] or [c.name] for c in self.communities}
        self.recent: dict[str, Appeal] = {}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.streets = sorted({c.parent.department for c in self.communities if c.parent is not None and c.parent.department is not None}, key=lambda d: d.code)

    def _intake_data(
        self,
        when: dt.datetime,
        *,
        code: str | None = None,
        title_has: str = "",
        cell_code: str | None = None,
        place: str | None = None,
        channel_code: str | None = None,
    ) -> tuple[IntakeData, Category, GridCell]:
        """A coherent appeal registered at ``when``: a template fitting the channel and the season, filled in a
        community that has the places it names. Keyword arguments pin the category, the template (by a word of
        its title), the community, the place and the channel (the accountability stories use them)."""
        rng = self.rng
        month = when.astimezone(SHANGHAI).month
        if channel_code is None:
            channel_code = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        cells = [c for c in self.communities if cell_code is None or c.code == cell_code]
        choices: dict[str, list[demo_data.Template]] = {}
        for key in sorted(demo_data.TEMPLATES) if code is None else [code]:
            fitting = [
                t
                for t in demo_data.TEMPLATES[key]
                if month in t.months
                and title_has in t.title
                and _fits_channel(channel_code, key, t)
                and any(demo_data.fits(t, self.aliases[c.pk]) for c in cells)
            ]
            if fitting:
                choices[key] = fitting
        if not choices:
            raise ValueError(f"no demo template fits {code or 'any category'} / {title_has!r} / {channel_code} in month {month}")
        code = rng.choice(sorted(choices))
        template = rng.choice(choices[code])
        cell = rng.choice([c for c in cells if demo_data.fits(template, self.aliases[c.pk])])
        title, content, located = demo_data.fill(template, rng, aliases=self.aliases[cell.pk], community=cell.name, place=place)
        kind = template.kind
        enterprise = template.who == demo_data.ENTERPRISE or (template.who == demo_data.EITHER and channel_code in ENTERPRISE_CHANNELS)
        priority = (
            Priority.CRITICAL
            if code == "ggaq-rq" and kind == "help"
            else rng.choices([Priority.NORMAL, Priority.URGENT, Priority.CRITICAL], weights=[88, 10, 2])[0]
        )
        name = rng.choice(demo_data.ENTERPRISES) if enterprise else rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN)
        data = IntakeData(
            channel=self.channels[channel_code],
            title=title,
            content=content,
            kind=kind,
            priority=priority,
            submitter_type=SubmitterType.ENTERPRISE if enterprise else SubmitterType.PERSON,
            submitter_name=name,
            credit_code=demo_data.enterprise_code(name) if enterprise else "",
            phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            address=f"明湖区{cell.street.name}{located}",
            grid=cell,
        )
        return data, self.categories[code], cell

    def _department_for(self, category: Category, cell: GridCell) -> Department:
        if category.territorial and cell.parent is not None and cell.parent.department is not None:
            return cell.parent.department
        assert category.default_department is not None
        return category.default_department

    def _misroute(self, category: Category, cell: GridCell, right: Department) -> Misroute | None:
        """Now and then, the wrong department a dispatcher might pick for this appeal (``demo_data.MISROUTES``)."""
        rng = self.misroute_rng
        if rng.random() >= MISROUTE_RATE or category.code not in demo_data.MISROUTES:
            return None
        target, category_code, reason = rng.choice(demo_data.MISROUTES[category.code])
        street = cell.parent.department if cell.parent is not None else None
        code = "not_our_duty"
        if target == "street":
            department = street
        elif target == "neighbour":
            if street not in self.streets:
                return None
            department = self.streets[(self.streets.index(street) + 1) % len(self.streets)]
            code = "wrong_territory"
        else:
            department = self.departments.get(target)
        if department is None or department.pk == right.pk:
            return None
        return Misroute(department, self.categories[category_code], reason, code)

    def one(self, created: dt.datetime | None = None, after_intake: Callable[[Appeal], None] | None = None, **pins: Any) -> Appeal:
        """An appeal and its story up to the anchor. ``created`` and ``pins`` (see ``_intake_data``) fix when and
        what; ``after_intake`` runs right after registration (a link to a topic or an event, say)."""
        rng = self.rng
        if created is None:
            # Skewed towards recent days, like a live hotline's open backlog.
            age = dt.timedelta(days=90 * rng.random() ** 1.6, minutes=rng.randint(0, 600))
            created = self.anchor - age
        data, category, cell = self._intake_data(created, **pins)
        accepted = not data.channel.public or rng.random() < 0.7
        appeal, _ = intake_appeal(data, by=self.cast.operator, accept=accepted, now=created)
        if after_intake is not None:
            after_intake(appeal)
        clock = [created]
        department = self._department_for(category, cell)
        handler = self.cast.handlers.get(department.pk, self.cast.dispatcher)
        misroute = self._misroute(category, cell, department)

        def step(event: Event, actor: Any, hours: tuple[float, float] | float, **kwargs: Any) -> bool:
            """Fire ``event`` some ``hours`` (drawn from a range, or exact) after the previous step, unless that is past the anchor."""
            moment = clock[0] + dt.timedelta(hours=rng.uniform(*hours) if isinstance(hours, tuple) else hours)
            if moment >= self.anchor:
                return False
            clock[0] = moment
            wf.perform(appeal, event, by=actor, now=moment, **kwargs)
            return True

        for ok in self._story(appeal, accepted, data.kind, category, department, handler, step, misroute):
            if not ok:
                break
        self.recent[category.code] = appeal
        return appeal

    def _story(
        self,
        appeal: Appeal,
        accepted: bool,
        kind: str,
        category: Category,
        department: Department,
        handler: Any,
        step: Callable[..., bool],
        misroute: Misroute | None = None,
    ) -> Iterator[bool]:
        rng, cast = self.rng, self.cast
        if not accepted:
            roll = rng.random()
            if roll < 0.4:
                return
            if roll < 0.55:
                yield step(Event.REJECT, cast.operator, (1, 20), reason="诉求内容不完整且无法联系诉求人，不予受理")
                return
            yield step(Event.ACCEPT, cast.operator, (0.5, 8))
        if kind == Kind.CONSULT and rng.random() < 0.6:
            yield step(Event.CLOSE_DIRECTLY, cast.operator, (0.05, 0.5), reply="已按政策口径当场答复诉求人。")
            return
        twin = self.recent.get(category.code)
        if twin is not None and rng.random() < 0.03 and twin.pk != appeal.pk:
            twin.refresh_from_db()
            if twin.state in (State.PENDING_DISPATCH, State.DISPATCHED, State.IN_PROGRESS):
                yield step(Event.MERGE, cast.dispatcher, (0.2, 4), merge_into=twin, reason=f"与 {twin.number} 反映同一问题")
                return
        if misroute is None:
            yield step(Event.DISPATCH, cast.dispatcher, (0.2, 6), department=department, category=category)
        else:
            yield from self._misrouted(misroute, category, department, step)
        if rng.random() < 0.06 and misroute is None:  # a misrouted appeal has had its 退单
            yield step(Event.RETURN, handler, (1, 20), reason="该事项不属于本单位职责范围", reason_code="not_our_duty")
            if rng.random() < 0.5:
                yield step(Event.REJECT_RETURN, cast.dispatcher, (0.5, 6), reason="经核实属于本单位职责，退单驳回，请继续办理")
            else:
                yield step(Event.APPROVE_RETURN, cast.dispatcher, (0.5, 6), reason="同意退单")
                yield step(Event.DISPATCH, cast.dispatcher, (0.5, 6), department=department, category=category, reason="经核实职责，重新派单")
        slow = rng.random() < 0.12
        yield step(Event.CLAIM, handler, (0.5, 40 if slow else 20))
        if rng.random() < 0.05:
            yield step(Event.REQUEST_EXTENSION, handler, (24, 72), extension_days=5, reason="需协调多个部门联合处置")
            yield step(Event.APPROVE_EXTENSION, cast.supervisor, (2, 20), reason="同意延期")
        if rng.random() < 0.03:
            yield step(Event.SUSPEND, handler, (24, 72), reason="等待诉求人补充材料")
            yield step(Event.RESUME, handler, (24, 120))
        yield step(Event.REPLY, handler, (24 * 8, 24 * 30) if slow else (4, 24 * 5), reply=demo_data.reply_for(kind, rng, category.code))
        yield step(Event.APPROVE_REPLY, cast.dispatcher, (1, 24))
        satisfaction = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 13, 8, 4])[0]
        resolved = satisfaction >= 3 and rng.random() < 0.95
        if satisfaction >= 3:
            yield step(Event.CLOSE, cast.operator, (4, 72), satisfaction=satisfaction, resolved=resolved)
            return
        yield step(Event.REOPEN, cast.operator, (4, 72), satisfaction=satisfaction, resolved=False, comment="问题没有解决")
        yield step(Event.CLAIM, handler, (0.5, 12))
        yield step(Event.REPLY, handler, (12, 24 * 4), reply=demo_data.REDO_REPLIES.get(kind, demo_data.REDO_REPLY))
        yield step(Event.APPROVE_REPLY, cast.dispatcher, (1, 24))
        if rng.random() < 0.8:
            yield step(Event.CLOSE, cast.operator, (4, 48), satisfaction=4, resolved=True)
            return
        # 再次差评: a supervisor arbitrates.
        yield step(Event.REFER_ARBITRATION, cast.operator, (4, 48), satisfaction=1, resolved=False, comment="整改后仍未解决")
        if rng.random() < 0.5:
            yield step(Event.ARBITRATE_CLOSE, cast.supervisor, (4, 48), reason="经仲裁：承办单位已依法依规处置，诉求超出政策范围，已向诉求人解释")
            return
        yield step(Event.ARBITRATE_REOPEN, cast.supervisor, (4, 48), reason="经仲裁：整改不到位，重办")
        yield step(Event.CLAIM, handler, (0.5, 12))
        yield step(Event.REPLY, handler, (12, 24 * 3), reply="仲裁重办：已会同街道彻底整改。")
        yield step(Event.APPROVE_REPLY, cast.dispatcher, (1, 24))
        yield step(Event.CLOSE, cast.operator, (4, 48), satisfaction=3, resolved=True)

    def _misrouted(self, wrong: Misroute, category: Category, right: Department, step: Callable[..., bool]) -> Iterator[bool]:
        """派错部门 and its correction: 转派 by the dispatcher, or the wrong department's 退单 and a new dispatch."""
        rng, dispatcher = self.misroute_rng, self.cast.dispatcher
        wrong_handler = self.cast.handlers.get(wrong.department.pk, dispatcher)
        # Timed like the story's own dispatch, from the main stream, which the correction then leaves alone.
        yield step(Event.DISPATCH, dispatcher, (0.2, 6), department=wrong.department, category=wrong.category)
        roll = rng.random()
        if roll < 0.35:  # the dispatcher notices on review, or the department phones: 转派
            reason = rng.choice(
                [
                    f"派单复核发现派错部门，该事项属{right.name}职责，转派。",
                    f"经与{wrong.department.name}电话核实，该事项属{right.name}职责，予以转派。",
                ]
            )
            yield step(Event.REDISPATCH, dispatcher, rng.uniform(0.5, 8), department=right, category=category, reason=reason)
            return
        if rng.random() < 0.3:  # signed for before anyone read it closely
            yield step(Event.CLAIM, wrong_handler, rng.uniform(0.5, 12))
        yield step(Event.RETURN, wrong_handler, rng.uniform(1, 24), reason=wrong.reason, reason_code=wrong.reason_code)
        if roll < 0.7:  # 同意退单并改派
            yield step(Event.REDISPATCH, dispatcher, rng.uniform(0.5, 6), department=right, category=category, reason=f"同意退单，改派{right.name}办理。")
            return
        yield step(Event.APPROVE_RETURN, dispatcher, rng.uniform(0.5, 6), reason="退单理由成立，同意退单。")
        yield step(Event.DISPATCH, dispatcher, rng.uniform(0.2, 4), department=right, category=category, reason=f"退单后重新派单至{right.name}。")


def seed_demo(appeals: int, seed: int, *, anchor: dt.datetime | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Load defaults, create demo accounts and ``appeals`` appeals. Returns how many were made."""
    load_defaults()
    ensure_demo_accounts()
    if anchor is None:
        # Midnight today: always in the past, and the same all day, so reruns agree.
        anchor = dt.datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    saved = settings.MINYI_NOTIFY_BACKEND, settings.MINYI_TRIAGE_SUGGEST_MODE, settings.MINYI_JOBS_TRANSPORT
    settings.MINYI_NOTIFY_BACKEND = "null"  # historical appeals must not page anyone, nor print a line
    settings.MINYI_TRIAGE_SUGGEST_MODE = "sync"  # suggestions before each story's next step: same seed, same data
    # Side effects (notices, webhooks …) run right after each commit, under the settings above: not later in a
    # background thread that would print them, contend for the SQLite lock, or sweep a half-seeded history.
    settings.MINYI_JOBS_TRANSPORT = "sync"
    try:
        from minyi.accountability.demo import EXTRA_APPEALS, seed_accountability

        seeder = Seeder(seed, anchor)
        # Large enough demos end with the accountability stories (merges, topics, …), counted in ``appeals``.
        extras = appeals >= 5 * EXTRA_APPEALS
        for i in range(appeals - (EXTRA_APPEALS if extras else 0)):
            with transaction.atomic():
                seeder.one()
            if progress is not None:
                progress(i + 1)
        if extras:
            with transaction.atomic():
                seed_accountability(seeder, anchor)
            if progress is not None:
                progress(appeals)
        seed_proposals_for_demo(appeals, seed, anchor)  # 建议提案: 124 + 131 for a full demo
        if appeals >= 1000:  # a full demo (as for proposals): small seeds in tests keep their exact appeal counts
            from minyi.points.demo import seed_points  # stands, markets with their scales, 270+ service points (issue 19)

            seed_points()
        if appeals:
            # The SLA sweep as of the anchor marks 临期/超期 and escalates: its notices go to the in-app
            # notification centre only, so the demo opens with a realistic inbox and a quiet console.
            from minyi.accountability.scheduler import run_sweep

            settings.MINYI_NOTIFY_BACKEND = "inapp"
            run_sweep(anchor)
    finally:
        settings.MINYI_NOTIFY_BACKEND, settings.MINYI_TRIAGE_SUGGEST_MODE, settings.MINYI_JOBS_TRANSPORT = saved
    return appeals
