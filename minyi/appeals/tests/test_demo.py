"""The demo's 派错部门 stories: a few first dispatches go to a wrong department and are corrected through the real actions."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from minyi.appeals import demo_data
from minyi.appeals.demo import seed_demo
from minyi.appeals.models import Appeal
from minyi.directory.models import StaffProfile
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.models import AuditEvent

ANCHOR = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
ROUTING = ("dispatch", "redispatch", "approve_return")


def _routed_to(appeal: Appeal) -> int:
    """The department the appeal's category and place route to (the demo's right answer)."""
    assert appeal.category is not None and appeal.grid is not None
    if appeal.category.territorial and appeal.grid.parent is not None and appeal.grid.parent.department_id is not None:
        return appeal.grid.parent.department_id
    assert appeal.category.default_department_id is not None
    return appeal.category.default_department_id


@pytest.mark.django_db
def test_some_first_dispatches_go_to_a_wrong_department_and_are_corrected() -> None:
    seed_demo(400, 7, anchor=ANCHOR)
    trails: dict[int, list[AuditEvent]] = {}
    for row in AuditEvent.objects.filter(event__in=(*ROUTING, "return")).select_related("actor").order_by("appeal_id", "id"):
        trails.setdefault(row.appeal_id, []).append(row)
    dispatched = Appeal.objects.filter(dispatched_at__isnull=False).count()
    misrouted = {pk: rows for pk, rows in trails.items() if len({r.payload.get("department_id") for r in rows if r.event in ("dispatch", "redispatch")}) > 1}

    # A realistic share of dispatches, corrected in all three ways the desk offers.
    assert 0.03 * dispatched <= len(misrouted) <= 0.09 * dispatched, (len(misrouted), dispatched)
    paths = Counter(tuple(r.event for r in rows) for rows in misrouted.values())
    assert set(paths) == {
        ("dispatch", "redispatch"),  # 转派 by the dispatcher
        ("dispatch", "return", "redispatch"),  # 同意退单并改派
        ("dispatch", "return", "approve_return", "dispatch"),  # 同意退单, then a new dispatch
    }, paths
    # A place-name mix-up between streets is returned as 不属本辖区, any other misroute as 非本单位职责.
    codes = {reason: "wrong_territory" if target == "neighbour" else "not_our_duty"
             for entries in demo_data.MISROUTES.values() for target, _, reason in entries}
    for pk, rows in misrouted.items():
        appeal = Appeal.objects.select_related("category", "grid__parent").get(pk=pk)
        first, last = rows[0], [r for r in rows if r.event in ("dispatch", "redispatch")][-1]
        # The correction ends where the category routes, with the right category; the wrong one was somewhere else.
        assert last.payload["department_id"] == appeal.department_id == _routed_to(appeal) != first.payload["department_id"]
        assert last.payload["category_id"] == appeal.category_id
        assert last.actor is not None and last.actor.username == "dispatcher" and len(last.reason) > 5
        returns = [r for r in rows if r.event == "return"]
        if returns:  # the wrong department's own handler hands it back, with its reason
            assert returns[0].reason in codes
            assert appeal.return_records.get().code == codes[returns[0].reason]
            assert StaffProfile.objects.get(user=returns[0].actor).department_id == first.payload["department_id"]
        assert wf.replay_state(appeal) is appeal.state
