"""Reply templates offered to a department: its own and the district-wide ones.

A template's ``{日期}`` is filled with the day the reply is drafted; any other ``{名称}`` is a blank the handler
completes, shown as ``【名称】`` so it reads as a form to fill and never as a stray code in a citizen's reply.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from minyi.desk.models import ReplyTemplate

DEFAULTS = [
    ("已现场处置", "经现场核查，您反映的问题情况属实。我单位已于{日期}安排工作人员现场处置，问题已解决，后续将加强日常巡查。感谢您的监督。"),
    ("政策解释", "您好，关于您咨询的问题，根据【政策名称】的规定：【政策要点】。如需办理，请携带【材料】到【地点】办理，咨询电话【电话】。"),
    ("纳入计划", "您反映的问题已纳入本年度整治计划，预计于【完成时间】前完成。其间我单位将采取临时措施，并及时向您反馈进展。"),
    ("非本单位职责", "经核实，您反映的事项属于【单位】职责范围，我单位已协调该单位办理，并告知您联系方式：【电话】。"),
]

_SLOT = re.compile(r"\{([^{}]{1,20})\}")
BLANK = re.compile(r"【[^【】]{1,20}】")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(body: str, *, today: dt.date | None = None) -> str:
    """The template's text as it goes into the reply box: ``{日期}`` filled, other slots as 【】 blanks."""
    day = today or timezone.localdate()

    def slot(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        return f"{day.month}月{day.day}日" if name == "日期" else f"【{name}】"

    return _SLOT.sub(slot, body)


def rendered_for_department(department_id: int | None, *, today: dt.date | None = None) -> list[Rendered]:
    return [Rendered(t.title, render(t.body, today=today)) for t in for_department(department_id)]


def for_department(department_id: int | None) -> QuerySet[ReplyTemplate]:
    scope = Q(department__isnull=True)
    if department_id is not None:
        scope |= Q(department_id=department_id)
    return ReplyTemplate.objects.filter(scope)


def load_defaults() -> int:
    """The district-wide templates (idempotent)."""
    for sort, (title, body) in enumerate(DEFAULTS):
        ReplyTemplate.objects.update_or_create(department=None, title=title, defaults={"body": body, "sort": sort})
    return len(DEFAULTS)
