"""The year's figures for the cockpit: 办结率, 满意率 and the A/B/C split, and the seed's sentence.

"124 件人大议案、建议和 131 件政协提案全部办结，满意率 100%": 办结 counts proposals whose appeal is
closed; 满意率 is (满意 + 基本满意) / rated among the closed ones, the proposer's last word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext

from minyi.proposals.models import NPC_KINDS, Classification, Kind, Proposal
from minyi.workflow.machine import State


@dataclass(frozen=True)
class YearFigures:
    year: int
    npc: int  # 人大议案和建议
    npc_motions: int
    cppcc: int  # 政协提案
    closed: int
    rated: int
    satisfied: int  # 满意 + 基本满意
    classes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.npc + self.cppcc

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.total if self.total else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    def class_share(self, code: str) -> float | None:
        answered = sum(self.classes.values())
        return self.classes.get(code, 0) / answered if answered else None

    def sentence(self) -> str:
        """The seed's sentence for these figures."""
        npc_label = gettext("人大议案、建议") if self.npc_motions else gettext("人大建议")
        head = gettext("%(npc)s 件%(npc_label)s和 %(cppcc)s 件政协提案") % {"npc": self.npc, "npc_label": npc_label, "cppcc": self.cppcc}
        if self.total and self.closed == self.total:
            done = gettext("全部办结")
        else:
            done = gettext("已办结 %(closed)s 件，办结率 %(rate)s") % {"closed": self.closed, "rate": percent(self.closed_rate)}
        return gettext("%(head)s%(done)s，满意率 %(rate)s") % {"head": head, "done": done, "rate": percent(self.satisfaction_rate)}


def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def year_figures(year: int) -> YearFigures:
    """One aggregate query over the year's proposals."""
    closed = Q(appeal__status=State.CLOSED)
    rated = closed & Q(appeal__satisfaction__isnull=False)
    row = Proposal.objects.filter(year=year).aggregate(
        npc=Count("pk", filter=Q(kind__in=list(NPC_KINDS))),
        npc_motions=Count("pk", filter=Q(kind=Kind.NPC_MOTION)),
        cppcc=Count("pk", filter=Q(kind=Kind.CPPCC_PROPOSAL)),
        closed=Count("pk", filter=closed),
        rated=Count("pk", filter=rated),
        satisfied=Count("pk", filter=rated & Q(appeal__satisfaction__gte=3)),
        **{f"class_{c}": Count("pk", filter=Q(classification=c)) for c in Classification.values},
    )
    classes = {c: int(row.pop(f"class_{c}")) for c in Classification.values}
    return YearFigures(year=year, classes=classes, **{k: int(v) for k, v in row.items()})
