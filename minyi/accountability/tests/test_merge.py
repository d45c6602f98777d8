"""合并: a main appeal with three subs; the main's answer reaches each sub, each is rated on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from minyi.appeals import services as actions
from minyi.appeals.models import Appeal
from minyi.conftest import intake
from minyi.core import notify
from minyi.workflow import services as wf
from minyi.workflow.machine import State


def test_a_merge_with_three_subs(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    django_capture_on_commit_callbacks: Any,
) -> None:
    main = appeal_in(State.DISPATCHED)
    phones = ["13900000001", "13900000002", "13900000003"]
    subs = [intake(by=people["operator"]) for _ in phones]
    for sub, phone in zip(subs, phones, strict=True):
        Appeal.objects.filter(pk=sub.pk).update(phone=phone)  # distinct submitters (test setup, not a workflow field)
    subs = [actions.merge_appeal(s, into=main, by=people["dispatcher"]) for s in subs]
    assert all(s.state is State.MERGED and s.merged_into_id == main.pk for s in subs)
    assert all(s.reply_due_at is None for s in subs)  # parked: no clock of their own

    main = actions.claim_appeal(main, by=people["handler"])
    main = actions.reply_appeal(main, reply="路灯线路已更换，全部恢复照明。", by=people["handler"])
    for s in subs:
        s.refresh_from_db()
        assert s.state is State.MERGED  # the answer moves only once it is approved
    notify.OUTBOX.clear()
    with django_capture_on_commit_callbacks(execute=True):
        main = actions.approve_reply(main, by=people["dispatcher"])
    links = {n.extra["phone"]: n.extra["url"] for n in notify.OUTBOX if n.kind == "rating_link"}
    assert set(links) == {"13812345678", *phones}  # every submitter is told and gets a link of their own
    assert len(set(links.values())) == 4
    for s in subs:
        s.refresh_from_db()
        assert s.state is State.PENDING_CALLBACK
        assert s.reply_text == main.reply_text
        assert s.department_id == main.department_id
        assert wf.replay_state(s) is State.PENDING_CALLBACK

    # Rated separately: two happy, one not → only that one is reopened.
    results = [
        actions.record_callback(subs[0], satisfaction=5, resolved=True, by=people["operator"]),
        actions.record_callback(subs[1], satisfaction=4, resolved=True, by=people["operator"]),
        actions.record_callback(subs[2], satisfaction=2, resolved=False, by=people["operator"]),
    ]
    assert [r.state for r in results] == [State.CLOSED, State.CLOSED, State.DISPATCHED]
    assert results[2].department_id == main.department_id
    main.refresh_from_db()
    assert main.state is State.PENDING_CALLBACK  # the main appeal's own rating is separate too


def test_unmerge_and_merging_the_main_repoints_its_subs(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    main = appeal_in(State.PENDING_DISPATCH)
    sub = actions.merge_appeal(appeal_in(State.PENDING_DISPATCH), into=main, by=people["dispatcher"])
    top = appeal_in(State.DISPATCHED)
    actions.merge_appeal(main, into=top, by=people["dispatcher"])
    sub.refresh_from_db()
    assert sub.merged_into_id == top.pk
    with pytest.raises(wf.ActionForbidden):
        actions.unmerge_appeal(sub, reason="不是同一问题", by=people["handler"])
    sub = actions.unmerge_appeal(sub, reason="不是同一问题", by=people["dispatcher"])
    assert sub.state is State.PENDING_DISPATCH
    assert sub.merged_into_id is None
