"""Demo proposals: 124 人大议案、建议 and 131 政协提案 of the fictional 明湖区, through the real actions.

Called at the end of ``minyi.appeals.demo.seed_demo`` (a demo of ``PROPOSALS_MIN_APPEALS`` appeals
or more). Each proposal is registered during its session, assigned at the 交办 meeting, claimed,
given its 协办 opinions and usually a 面商, answered with a classified letter, reviewed and rated,
back-dated so the audit trail and the three-month deadlines are what production would record. Most
are closed 满意; a few 闭会期间 ones are still being handled at the anchor; three are 不满意 first and
closed after 重办. Deterministic for a seed and an anchor.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from minyi.accounts.permissions import group_for
from minyi.directory.models import Department, StaffProfile
from minyi.proposals import demo_data as words
from minyi.proposals import services
from minyi.proposals.models import Kind, Proposal, ProposerSatisfaction
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event
from minyi.workflow.policy import Role

NPC_COUNT, NPC_MOTIONS, CPPCC_COUNT = 124, 2, 131
LATE = 3  # per kind: 闭会期间 proposals still being handled at the anchor
UNSATISFIED = (17, 58, 203)  # indexes (of 255) first rated 不满意, then closed after 重办
PROPOSALS_MIN_APPEALS = 1000  # smaller demos (the tests') leave proposals out
LIAISON = ("liaison", "人大政协联络员 赵敏")


@dataclass
class Planned:
    data: services.ProposalData
    registered: dt.datetime
    assigned_on: dt.date
    lead_code: str
    co_units: list[Department]
    body: str
    late: bool


@dataclass
class Cast:
    liaison: Any
    handlers: dict[str, Any]  # department code → its demo handler (``h-<code>``)
    units: dict[str, Department]


def _cast(password: str) -> Cast:
    user, created = get_user_model().objects.get_or_create(username=LIAISON[0], defaults={"first_name": LIAISON[1]})
    if created:
        user.password = make_password(password)
        user.save()
    user.groups.add(group_for(Role.LIAISON))
    StaffProfile.objects.update_or_create(user=user, defaults={"department": None})
    units = {d.code: d for d in Department.objects.filter(kind__in=[Department.Kind.BUREAU, Department.Kind.STREET])}
    handlers = {u.username[2:]: u for u in get_user_model().objects.filter(username__in=[f"h-{code}" for code in units])}
    return Cast(user, handlers, units)


def _name(rng: random.Random) -> str:
    return rng.choice(words.SURNAMES) + rng.choice(words.GIVEN)


def _session_names(year: int) -> tuple[str, str]:
    n = "一二三四五"[(year - 2022) % 5]
    return f"区十七届人大{n}次会议", f"区政协十五届{n}次会议"


class Seeder:
    def __init__(self, seed: int, anchor: dt.datetime, cast: Cast) -> None:
        self.rng = random.Random(seed * 7919 + 19)
        self.anchor = anchor
        self.cast = cast
        self.year = anchor.year if anchor.month >= 7 else anchor.year - 1
        self.titles: set[str] = set()

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI) + dt.timedelta(hours=hour)

    def _topic(self) -> tuple[str, str, list[Department], str, str]:
        """A title not used yet, its lead and co-units, the content and the letter."""
        rng = self.rng
        for _ in range(200):
            title, lead, co, problem, asks, answer = rng.choice(words.TOPICS)
            place, street = rng.choice(words.PLACES)
            text = title.format(place=place)
            if text not in self.titles:
                break
        self.titles.add(text)
        n = rng.randint(2, 9)
        co_units = [self.cast.units[street if c == "street" else c] for c in co if rng.random() < 0.7]
        co_units = [u for u in dict.fromkeys(co_units) if u.code != lead]
        numbered = "；".join(f"{'一二三'[i]}是{a.format(place=place)}" for i, a in enumerate(asks))
        content = f"{problem.format(place=place)}。为此建议：{numbered}。"
        body = (
            "收到您的来件后，我单位高度重视，会同相关单位进行了专题研究，并与您进行了沟通。\n"
            f"{answer.format(place=place, n=n)}\n下一步，我们将持续跟踪推进，及时向您通报进展。"
        )
        return text, lead, co_units, content, body

    def plan(self, kind: Kind, number: int, late: bool) -> Planned:
        """What one proposal says and when it was registered; its story is told by ``tell``."""
        rng = self.rng
        title, lead_code, co_units, content, body = self._topic()
        npc = kind != Kind.CPPCC_PROPOSAL
        title = title.replace("的建议", {Kind.NPC_MOTION: "的议案", Kind.CPPCC_PROPOSAL: "的提案"}.get(kind, "的建议"))
        npc_session, cppcc_session = _session_names(self.year)
        if late:  # 闭会期间: registered in the last weeks before the anchor
            registered = self.anchor - dt.timedelta(days=rng.randint(25, 60), hours=rng.randint(1, 8))
            assigned_on = (registered + dt.timedelta(days=rng.randint(3, 8))).date()
            session = ""
        else:  # during the session; the 交办 meeting in late February
            registered = self.at(dt.date(self.year, 1, 8 if npc else 6), 17)
            assigned_on = dt.date(self.year, 2, 26)
            session = npc_session if npc else cppcc_session
        data = services.ProposalData(
            kind=kind,
            title=title,
            content=content,
            proposer_name=_name(rng),
            proposer_group=rng.choice(words.NPC_DELEGATIONS if npc else words.CPPCC_SECTORS),
            proposer_phone=f"139{rng.randint(0, 99_999_999):08d}",
            co_signers=rng.choice([0, 0, 2, 3, 5, 8, 10]),
            session=session,
            year=registered.astimezone(SHANGHAI).year,
            number=number,
        )
        return Planned(data, registered, assigned_on, lead_code, co_units, body, late)

    def tell(self, index: int, proposal: Proposal, planned: Planned) -> Proposal:
        rng, cast = self.rng, self.cast
        lead_code, co_units, body, assigned_on = planned.lead_code, planned.co_units, planned.body, planned.assigned_on
        lead = cast.units[lead_code]
        handler = cast.handlers[lead_code]
        clock = self.at(assigned_on, 10 + rng.random() * 5)
        stop = rng.randint(0, 5) if planned.late else 99  # how far a late proposal has got by the anchor

        def later(days: float, spread: float) -> dt.datetime | None:
            nonlocal clock
            clock = clock + dt.timedelta(days=days + rng.random() * spread, hours=rng.random() * 6)
            return clock if clock < self.anchor else None

        services.assign_proposal(proposal, lead=lead, co_units=co_units, assigned_on=assigned_on, by=cast.liaison, now=clock)
        if stop < 1 or (now := later(0.5, 2)) is None:
            return proposal
        wf.perform(proposal.appeal, Event.CLAIM, by=handler, now=now)
        for unit in co_units:
            if stop < 2 or (now := later(2, 10)) is None:
                return proposal
            services.submit_opinion(proposal, unit, opinion=self._opinion(unit, lead), by=cast.handlers[unit.code], now=now)
        if rng.random() < 0.85:
            if stop < 3 or (now := later(3, 15)) is None:
                return proposal
            self._consult(proposal, lead, handler, now)
        return self._answer(index, proposal, handler, body, stop)

    def _opinion(self, unit: Department, lead: Department) -> str:
        return self.rng.choice(
            [
                f"{unit.name}同意{lead.name}的办理意见，将在职责范围内配合做好相关工作。",
                f"经研究，{unit.name}将把相关事项纳入本单位年度工作计划，并与{lead.name}建立联系机制。",
                f"{unit.name}已安排专人对接，配合{lead.name}开展现场调研，提供相关数据和资料。",
            ]
        )

    def _consult(self, proposal: Proposal, lead: Department, handler: Any, now: dt.datetime) -> None:
        rng = self.rng
        place = rng.choice(words.PLACES)[0]
        who = "代表" if proposal.is_npc else "委员"
        services.record_consultation(
            proposal,
            held_on=now.astimezone(SHANGHAI).date(),
            place=rng.choice(words.CONSULT_PLACES).format(unit=lead.name, place=place),
            participants=f"{proposal.proposer_name}{who}、{lead.name}分管负责人及业务科室负责人",
            summary=f"双方就办理思路、时间节点和资金安排进行了沟通，{proposal.proposer_name}{who}对办理方案表示认可，并希望加快推进。",
            by=handler,
            now=now,
        )

    def _answer(self, index: int, proposal: Proposal, handler: Any, body: str, stop: int) -> Proposal:
        rng, cast = self.rng, self.cast
        classification = rng.choices("ABC", weights=[62, 30, 8])[0]
        if stop < 4 or (now := self._later_or_none(proposal, 10, 40)) is None:
            return proposal
        contact = f"{_name(rng)} 0512-6{rng.randint(100_0000, 999_9999)}"
        services.send_letter(
            proposal, classification=classification, body=body, contact=contact, signed_on=now.astimezone(SHANGHAI).date(), by=handler, now=now
        )
        if stop < 5 or (now := self._later_or_none(proposal, 1, 3)) is None:
            return proposal
        services.approve_letter(proposal, by=cast.liaison, now=now)
        if index in UNSATISFIED:
            if (now := self._later_or_none(proposal, 5, 10)) is None:
                return proposal
            comment = rng.choice(words.UNSATISFIED_COMMENTS)
            services.rate_proposal(proposal, satisfaction=ProposerSatisfaction.UNSATISFIED, comment=comment, by=cast.liaison, now=now)
            for days, step in ((1, "claim"), (8, "letter"), (2, "approve")):
                if (now := self._later_or_none(proposal, days, days)) is None:
                    return proposal
                if step == "claim":
                    wf.perform(proposal.appeal, Event.CLAIM, by=handler, now=now)
                elif step == "letter":
                    redo = body + "\n针对您提出的意见，我们重新研究并明确了实施时间表，相关资金已落实。"
                    services.send_letter(
                        proposal,
                        classification="A" if classification == "A" else "B",
                        body=redo,
                        contact=contact,
                        signed_on=now.astimezone(SHANGHAI).date(),
                        by=handler,
                        now=now,
                    )
                else:
                    services.approve_letter(proposal, by=cast.liaison, now=now)
        if (now := self._later_or_none(proposal, 5, 15)) is None:
            return proposal
        word = ProposerSatisfaction.BASIC if rng.random() < 0.07 else ProposerSatisfaction.SATISFIED
        services.rate_proposal(proposal, satisfaction=word, by=cast.liaison, now=now)
        return proposal

    def _later_or_none(self, proposal: Proposal, days: float, spread: float) -> dt.datetime | None:
        last = proposal.appeal.audit.order_by("-id").values_list("at", flat=True).first()
        assert last is not None
        moment = last + dt.timedelta(days=days + self.rng.random() * spread, hours=self.rng.random() * 6)
        return moment if moment < self.anchor else None


def seed_proposals(seed: int, anchor: dt.datetime, *, password: str) -> int:
    """Create the demo proposals (nothing if this year's are there already). Returns how many were made."""
    cast = _cast(password)
    seeder = Seeder(seed, anchor, cast)
    if Proposal.objects.filter(year=seeder.year).exists():
        return 0
    plan = [(Kind.NPC_MOTION, i + 1) if i < NPC_MOTIONS else (Kind.NPC_SUGGESTION, i + 1 - NPC_MOTIONS) for i in range(NPC_COUNT)]
    plan += [(Kind.CPPCC_PROPOSAL, i + 1) for i in range(CPPCC_COUNT)]
    late = {NPC_COUNT - 1 - i for i in range(LATE)} | {NPC_COUNT + CPPCC_COUNT - 1 - i for i in range(LATE)}
    planned = [seeder.plan(kind, number, index in late) for index, (kind, number) in enumerate(plan)]
    with transaction.atomic():  # one transaction: a file-backed SQLite demo commits once
        proposals: list[Proposal] = []
        for registered in sorted({p.registered for p in planned if not p.late}):
            batch = [p for p in planned if p.registered == registered and not p.late]
            proposals += services.register_proposals([p.data for p in batch], by=cast.liaison, now=registered)
        by_number = {(p.kind, p.number): p for p in proposals}
        made = 0
        for index, p in enumerate(planned):
            late_one = services.register_proposal(p.data, by=cast.liaison, now=p.registered) if p.late else None
            proposal = late_one or by_number[(p.data.kind, p.data.number or 0)]
            seeder.tell(index, proposal, p)
            made += 1
    return made


def seed_for_demo(appeals: int, seed: int, anchor: dt.datetime) -> int:
    """The hook at the end of ``seed_demo``: proposals for a full demo, none for the tests' small ones."""
    if appeals < PROPOSALS_MIN_APPEALS:
        return 0
    from minyi.appeals.demo import DEMO_PASSWORD

    return seed_proposals(seed, anchor, password=DEMO_PASSWORD)
