"""Named actions on bulletins: draft, revise, publish (numbered per year, archived)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from minyi.core.roles import roles_of
from minyi.reports import bulletin as generator
from minyi.reports.models import Bulletin
from minyi.workflow.policy import Role

EDITORS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.LEADER})


def _check(user: Any) -> None:
    if user is not None and not (roles_of(user) & EDITORS):
        raise PermissionDenied("您没有编辑简报的权限")


@transaction.atomic
def draft_bulletin(period: str, *, by: Any) -> Bulletin:
    _check(by)
    content = generator.build(period)
    return Bulletin.objects.create(period=period, title=content["masthead"], content=content, created_at=timezone.now(), created_by=by)


@transaction.atomic
def revise_bulletin(bulletin: Bulletin, *, news: list[dict[str, str]], send: str, issue: str, by: Any) -> Bulletin:
    _check(by)
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if locked.status == Bulletin.Status.PUBLISHED:
        raise ValidationError("简报已发布，不能再修改")
    content = dict(locked.content)
    content["news"] = [{"heading": n["heading"].strip(), "text": n["text"].strip()} for n in news if n["heading"].strip()]
    content["send"], content["issue"] = send.strip(), issue.strip()
    locked.content, locked.edited_at = content, timezone.now()
    locked.save()
    return locked


@transaction.atomic
def publish_bulletin(bulletin: Bulletin, *, by: Any) -> Bulletin:
    _check(by)
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if locked.status == Bulletin.Status.PUBLISHED:
        return locked
    now = timezone.now()
    year = timezone.localtime(now).year
    # Lock the year's published rows so that two publishers cannot take the same number.
    list(Bulletin.objects.select_for_update().filter(year=year).values_list("id", flat=True))
    last = Bulletin.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0
    locked.year, locked.number, locked.status = year, last + 1, Bulletin.Status.PUBLISHED
    locked.published_at, locked.published_by = now, by
    locked.save()
    return locked


def number_label(b: Bulletin) -> str:
    return f"{b.number}（{b.year} 年）" if b.number else "（草稿）"
