"""Read paths, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from minyi.appeals.models import SLA_OPEN, Appeal, AppealQuerySet, phone_q, priority_rank
from minyi.core.roles import department_ids_of, sees_all
from minyi.workflow.machine import State


def visible_to(user: Any) -> AppealQuerySet:
    """Appeals the user may see: everything for central roles, own department for handlers."""
    qs = Appeal.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all(user):
        return qs
    dept_ids = department_ids_of(user)
    if not dept_ids:
        return qs.none()
    return qs.filter(department_id__in=dept_ids)


def most_urgent_first(qs: AppealQuerySet) -> AppealQuerySet:
    """The most urgent appeals first, the oldest first within a priority."""
    return qs.alias(priority_rank=priority_rank()).order_by("-priority_rank", "created_at")


# Queue counts stop at a cap: counting 80,000 waiting appeals exactly costs a scan on every page view, and
# "1000+" tells a dispatcher as much. ``qs[:cap + 1].count()`` stops reading at the cap.
QUEUE_COUNT_CAP = 1000
LIST_COUNT_CAP = 10_000


def capped_count(qs: QuerySet[Any], cap: int = QUEUE_COUNT_CAP) -> int:
    """The number of rows, or ``cap + 1`` when there are more than ``cap``."""
    return int(qs.order_by()[: cap + 1].count())


def count_label(n: int, cap: int = QUEUE_COUNT_CAP) -> str:
    return f"{cap}+" if n > cap else str(n)


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator whose total stops at ``cap`` (``count_label`` says "10000+"): pages stay fast at a million rows."""

    def __init__(self, *args: Any, cap: int = LIST_COUNT_CAP, **kwargs: Any) -> None:
        self.cap = cap
        super().__init__(*args, **kwargs)

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list  # always a QuerySet here
        return capped_count(rows, self.cap)

    @property
    def count_label(self) -> str:
        return count_label(self.count, self.cap)


SLA_FILTERS = {
    # Named positively (SLA_OPEN, not "not closed …"): the partial index appeal_open_due then serves it.
    "overdue": lambda now: Q(reply_due_at__lt=now, paused_at__isnull=True, status__in=SLA_OPEN),
    "due_soon": lambda now: Q(reply_warn_at__lte=now, reply_due_at__gte=now, paused_at__isnull=True)
    & Q(status__in=[State.DISPATCHED, State.IN_PROGRESS]),
}


def filter_appeals(qs: AppealQuerySet, params: dict[str, str], *, by_phone: bool = False) -> AppealQuerySet:
    """The list's filters. ``by_phone``: the search box also finds callers by phone number, which only
    roles that may see personal data get (a leader must not learn which appeals a number filed)."""
    if status := params.get("status"):
        qs = qs.filter(status=status)
    if channel := params.get("channel"):
        qs = qs.filter(channel__code=channel)
    if department := params.get("department"):
        qs = qs.filter(department_id=department) if department.isdigit() else qs
    if kind := params.get("kind"):
        qs = qs.filter(kind=kind)
    if (sla := params.get("sla")) and sla in SLA_FILTERS:
        qs = qs.filter(SLA_FILTERS[sla](timezone.now()))
    qs = _drill_filters(qs, params)
    if q := params.get("q", "").strip():
        from minyi.core.pii import searchable

        match = Q(number=q) | Q(title__icontains=q) if searchable(q, by_phone) else Q(number=q)
        qs = qs.filter(match | phone_q(q) if by_phone else match)
    return qs


# Drill-down filters used by the cockpit (minyi.cockpit): every figure links to its list.
_DATE_FILTERS = {"created": "created_at", "dispatched": "dispatched_at", "closed": "closed_at"}
_FLAG_FILTERS = {
    "returned": Q(return_count__gt=0),
    "reopened": Q(reopen_count__gt=0),
    "bad_rating": Q(bad_rating_at__isnull=False),
    "late": Q(closed_on_time=False),
}


def _drill_filters(qs: AppealQuerySet, params: dict[str, str]) -> AppealQuerySet:
    import datetime as dt

    from minyi.directory.models import Department

    tz = timezone.get_current_timezone()
    for name, field in _DATE_FILTERS.items():
        for suffix, lookup, shift in (("from", "gte", 0), ("to", "lt", 1)):
            value = params.get(f"{name}_{suffix}", "")
            try:
                day = dt.date.fromisoformat(value) + dt.timedelta(days=shift)
            except ValueError:
                continue
            qs = qs.filter(**{f"{field}__{lookup}": dt.datetime.combine(day, dt.time(), tzinfo=tz)})
    if (unit := params.get("unit", "")).isdigit():
        dept = Department.objects.filter(pk=int(unit)).first()
        qs = qs.filter(department_id__in=dept.subtree_ids()) if dept else qs.none()
    if (category := params.get("category", "")).isdigit():
        c = int(category)
        qs = qs.filter(Q(category_id=c) | Q(category__parent_id=c) | Q(category__parent__parent_id=c))
    if (grid := params.get("grid", "")).isdigit():
        qs = qs.filter(Q(grid_id=int(grid)) | Q(grid__parent_id=int(grid)))
    if params.get("open") == "1":
        qs = qs.open()
    if (flag := params.get("flag", "")) in _FLAG_FILTERS:
        qs = qs.filter(_FLAG_FILTERS[flag])
    return qs
