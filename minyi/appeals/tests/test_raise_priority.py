"""提高紧急程度 on the appeal page: who sees the form, what it offers, what a raise changes and what is refused."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


MONDAY_9 = at(2026, 3, 2, 9)  # an ordinary working week: 一般 is due 5 working days later, 紧急 1


def appeal_at(appeal_in: Callable[..., Appeal], state: State, priority: str = "normal") -> Appeal:
    """An appeal brought to ``state`` on Monday 09:00, with ``priority`` set before dispatch starts its clock."""
    with time_machine.travel(MONDAY_9, tick=False):
        if priority != "normal":
            pending = appeal_in(State.PENDING_DISPATCH)
            Appeal.objects.filter(pk=pending.pk).update(priority=priority)
            assert state is State.PENDING_DISPATCH, "only undispatched appeals get another starting priority here"
            return Appeal.objects.get(pk=pending.pk)
        return appeal_in(state)


def offered(body: str) -> list[str]:
    """The values of the 提高紧急程度 select, or [] when the page has no such form."""
    match = re.search(r'<select name="raise_priority-priority"[^>]*>(.*?)</select>', body, re.S)
    return re.findall(r'<option value="([^"]+)"', match.group(1)) if match else []


def snapshot(appeal: Appeal) -> tuple[Any, ...]:
    stored = Appeal.objects.get(pk=appeal.pk)
    return stored.priority, stored.reply_due_at, stored.reply_warn_at, stored.audit.count()


def post_raise(client: Client, appeal: Appeal, priority: str, reason: str = "现场有燃气泄漏气味", **kwargs: Any) -> Any:
    data = {"raise_priority-priority": priority, "raise_priority-reason": reason}
    return client.post(f"/appeals/{appeal.number}/priority", data, **kwargs)


def test_a_dispatcher_raises_a_dispatched_appeal_and_its_reply_deadline_moves_earlier(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)
    assert (appeal.priority, appeal.reply_due_at) == ("normal", at(2026, 3, 9, 9))
    notify.OUTBOX.clear()
    client.force_login(people["dispatcher"])
    with time_machine.travel(at(2026, 3, 2, 10), tick=False):
        page = client.get(f"/appeals/{appeal.number}").content.decode()
        assert offered(page) == ["urgent", "critical"]
        assert f'action="/appeals/{appeal.number}/priority"' in page and "csrfmiddlewaretoken" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = post_raise(client, appeal, "urgent", follow=True)

    assert response.redirect_chain == [(f"/appeals/{appeal.number}", 302)]
    stored = Appeal.objects.get(pk=appeal.pk)
    # 紧急 is one working day, counted from when the urgency became known: Tuesday 10:00, not next Monday.
    assert (stored.priority, stored.reply_due_at, stored.state) == ("urgent", at(2026, 3, 3, 10), State.DISPATCHED)
    row = stored.audit.get(event=wf.PRIORITY_EVENT)
    assert (row.actor_id, row.reason, row.payload["from"], row.payload["to"]) == (people["dispatcher"].pk, "现场有燃气泄漏气味", "normal", "urgent")
    body = response.content.decode()
    assert "已将紧急程度提高为“紧急”，答复时限提前至 2026-03-03 10:00" in body
    assert "2026-03-03 10:00" in body.split("答复时限</dt>")[1][:40]  # the facts show the new deadline
    timeline = body.split('<ol class="timeline">')[1]
    assert re.search(r"<strong>提高紧急程度</strong> disp：一般 → 紧急<br><span class=\"reason\">现场有燃气泄漏气味</span>", timeline)
    assert offered(body) == ["critical"]  # only what is still higher
    [notice] = [n for n in notify.OUTBOX if n.kind == "priority_raised:department"]
    assert people["handler"].pk in notice.user_ids


@pytest.mark.parametrize("role", ["handler", "leader", "operator"])
def test_other_roles_get_403_and_nothing_changes(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], role: str
) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)  # of 区住建局: the handler sees it
    before = snapshot(appeal)
    client.force_login(people[role])
    assert client.get(f"/appeals/{appeal.number}").status_code == 200
    response = post_raise(client, appeal, "critical")
    assert response.status_code == 403
    assert "您没有权限提高诉求的紧急程度" in response.content.decode()
    assert snapshot(appeal) == before


def test_a_handler_of_another_department_does_not_even_find_the_appeal(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]
) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)
    before = snapshot(appeal)
    client.force_login(people["other_handler"])
    assert post_raise(client, appeal, "critical").status_code == 404
    assert snapshot(appeal) == before


@pytest.mark.parametrize("priority", ["urgent", "normal"])
def test_an_equal_or_lower_priority_is_refused_with_the_error_on_the_form(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], priority: str
) -> None:
    appeal = appeal_at(appeal_in, State.PENDING_DISPATCH, "urgent")
    before = snapshot(appeal)
    client.force_login(people["supervisor"])
    response = post_raise(client, appeal, priority)
    assert response.status_code == 400
    body = response.content.decode()
    assert "只能提高紧急程度：当前为“紧急”，请选择更高的级别" in body
    assert '<details class="action" open>\n<summary>提高紧急程度</summary>' in body  # the form opens on its error
    assert offered(body) == ["critical"]
    assert snapshot(appeal) == before


def test_an_unknown_priority_or_a_blank_reason_is_refused(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)
    before = snapshot(appeal)
    client.force_login(people["admin"])
    unknown = post_raise(client, appeal, "whenever")
    assert unknown.status_code == 400 and "whenever 不在可用的选项中" in unknown.content.decode()
    blank = post_raise(client, appeal, "critical", reason="   ")
    assert blank.status_code == 400 and "这个字段是必填项" in blank.content.decode()
    assert snapshot(appeal) == before


def test_a_closed_appeal_offers_no_form_and_refuses_a_post(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_at(appeal_in, State.CLOSED)
    before = snapshot(appeal)
    client.force_login(people["dispatcher"])
    page = client.get(f"/appeals/{appeal.number}").content.decode()
    assert offered(page) == [] and "/priority" not in page
    response = post_raise(client, appeal, "critical")
    assert response.status_code == 400
    assert "当前状态“已办结”不能提高紧急程度" in response.content.decode()
    assert snapshot(appeal) == before


def test_the_form_is_shown_only_to_central_roles_and_below_the_top_priority(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]
) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)
    for role in ("dispatcher", "supervisor", "admin"):
        client.force_login(people[role])
        assert offered(client.get(f"/appeals/{appeal.number}").content.decode()) == ["urgent", "critical"], role
    for role in ("handler", "leader", "operator"):
        client.force_login(people[role])
        page = client.get(f"/appeals/{appeal.number}").content.decode()
        assert offered(page) == [] and "/priority" not in page, role
    top = appeal_at(appeal_in, State.PENDING_DISPATCH, "critical")
    client.force_login(people["dispatcher"])
    page = client.get(f"/appeals/{top.number}").content.decode()
    assert offered(page) == [] and "/priority" not in page


def test_the_view_takes_only_posts_with_a_csrf_token(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_at(appeal_in, State.DISPATCHED)
    before = snapshot(appeal)
    client.force_login(people["dispatcher"])
    assert client.get(f"/appeals/{appeal.number}/priority").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["dispatcher"])
    assert post_raise(strict, appeal, "critical").status_code == 403
    assert snapshot(appeal) == before


def test_a_paused_appeal_keeps_the_shorter_time_for_when_it_resumes(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]
) -> None:
    appeal = appeal_at(appeal_in, State.SUSPENDED)
    client.force_login(people["dispatcher"])
    with time_machine.travel(at(2026, 3, 2, 10), tick=False):
        response = post_raise(client, appeal, "urgent", follow=True)
    assert "已将紧急程度提高为“紧急”，答复时限已相应缩短，恢复办理后按新时限计时" in response.content.decode()
    stored = Appeal.objects.get(pk=appeal.pk)
    assert (stored.state, stored.priority, stored.paused_remaining_seconds) == (State.SUSPENDED, "urgent", 24 * 3600)
