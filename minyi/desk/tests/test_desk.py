"""Workstations: each role lands on its page, queues are scoped, bulk and one-click dispatch work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minyi.appeals.models import Appeal
from minyi.conftest import intake
from minyi.directory.models import Category, Channel, Department
from minyi.workflow.machine import State


@pytest.mark.parametrize(
    ("role", "target"),
    [("operator", "/desk/intake"), ("dispatcher", "/desk/dispatch"), ("handler", "/desk/inbox"), ("supervisor", "/desk/supervise")],
)
def test_each_role_lands_on_its_workstation(client: Client, people: dict[str, Any], role: str, target: str) -> None:
    client.force_login(people[role])
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target).status_code == 200


def test_handlers_cannot_open_the_dispatch_desk(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["handler"])
    assert client.get("/desk/dispatch").status_code == 403
    assert client.get("/desk/intake").status_code == 403


def test_intake_desk_registers_and_can_close_a_consultation_on_the_spot(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    post = {
        "channel": Channel.objects.get(code="12345").pk,
        "kind": "consult",
        "priority": "normal",
        "submitter_type": "person",
        "title": "咨询居住证办理",
        "content": "想咨询居住证办理需要什么材料。",
        "phone": "13900003333",
        "idempotency_key": "desk-1",
        "close_reply": "携带身份证、租房合同到社区服务中心办理。",
    }
    assert client.post("/desk/intake", post).status_code == 302
    appeal = Appeal.objects.get(title="咨询居住证办理")
    assert appeal.state is State.CLOSED and "身份证" in appeal.reply_text


def test_caller_history_lists_earlier_appeals_of_that_number(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    earlier = appeal_in(State.DISPATCHED)
    client.force_login(people["operator"])
    body = client.get("/desk/intake/caller", {"phone": "138 1234 5678"}).content.decode()
    assert earlier.number in body
    assert "没有历史诉求" in client.get("/desk/intake/caller", {"phone": "13700000000"}).content.decode()


def test_one_click_accepts_the_top_suggestion(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.REGISTERED)
    zjj = Department.objects.get(code="zjj")
    category = Category.objects.get(code="cxjs-wy")
    Appeal.objects.filter(pk=appeal.pk).update(
        triage={
            "departments": [{"id": zjj.pk, "name": zjj.name, "probability": 0.97}],
            "categories": [{"id": category.pk, "label": "物业管理", "probability": 0.95}],
            "auto_dispatch": True,
        }
    )
    client.force_login(people["dispatcher"])
    page = client.get("/desk/dispatch").content.decode()
    assert appeal.number in page and "采纳建议" in page
    assert client.post("/desk/dispatch/accept", {"number": appeal.number}).status_code == 302
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED and appeal.department_id == zjj.pk and appeal.category_id == category.pk


def test_bulk_dispatch_to_a_chosen_department(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeals = [appeal_in(State.PENDING_DISPATCH) for _ in range(3)]
    cgj = Department.objects.get(code="cgj")
    client.force_login(people["dispatcher"])
    client.post("/desk/dispatch/accept", {"number": [a.number for a in appeals], "department": cgj.pk})
    assert set(Appeal.objects.filter(pk__in=[a.pk for a in appeals]).values_list("status", "department_id")) == {("dispatched", cgj.pk)}


def test_dispatch_without_a_suggestion_or_choice_explains(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    client.force_login(people["dispatcher"])
    response = client.post("/desk/dispatch/accept", {"number": appeal.number}, follow=True)
    assert "请选择承办部门" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_DISPATCH


def test_inbox_tabs_are_scoped_and_claim_works(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    mine = appeal_in(State.DISPATCHED)
    client.force_login(people["other_handler"])
    assert mine.number not in client.get("/desk/inbox").content.decode()
    client.force_login(people["handler"])
    assert mine.number in client.get("/desk/inbox?tab=claim").content.decode()
    client.post(f"/desk/inbox/{mine.number}/claim", {})
    mine.refresh_from_db()
    assert mine.state is State.IN_PROGRESS
    assert mine.number in client.get("/desk/inbox?tab=doing").content.decode()


def test_queues_do_not_make_a_query_per_row(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    client.force_login(people["dispatcher"])
    appeal_in(State.PENDING_DISPATCH)
    with CaptureQueriesContext(connection) as few:
        client.get("/desk/dispatch")
    for _ in range(4):
        appeal_in(State.PENDING_DISPATCH)
    with CaptureQueriesContext(connection) as many:
        client.get("/desk/dispatch")
    assert len(many) == len(few)
    client.force_login(people["handler"])
    appeal_in(State.DISPATCHED)
    with CaptureQueriesContext(connection) as few:
        client.get("/desk/inbox")
    for _ in range(4):
        appeal_in(State.DISPATCHED)
    with CaptureQueriesContext(connection) as many:
        client.get("/desk/inbox")
    assert len(many) == len(few)


def test_supervisor_board_lists_pending_extensions(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    from minyi.appeals import services

    appeal = appeal_in(State.IN_PROGRESS)
    services.request_extension(appeal, days=3, reason="需协调", by=people["handler"])
    client.force_login(people["supervisor"])
    body = client.get("/desk/supervise").content.decode()
    assert appeal.number in body and "待审批延期" in body


def test_reply_form_offers_department_templates_and_similar_replies(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    from minyi.desk import templates
    from minyi.desk.models import ReplyTemplate

    templates.load_defaults()
    ReplyTemplate.objects.create(department=Department.objects.get(code="zjj"), title="住建局专用", body="住建局答复正文")
    ReplyTemplate.objects.create(department=Department.objects.get(code="cgj"), title="城管局专用", body="城管局答复正文")
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["handler"])
    body = client.get(f"/appeals/{appeal.number}").content.decode()
    assert "住建局专用" in body and "已现场处置" in body and "城管局专用" not in body
    assert f"/assistant/similar/{appeal.number}" in body
    client.force_login(people["leader"])
    assert "答复模板" not in client.get(f"/appeals/{appeal.number}").content.decode()


def test_returned_tab_lists_returns_awaiting_a_ruling(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    from minyi.appeals import services

    appeal = appeal_in(State.DISPATCHED)
    services.return_appeal(appeal, reason="不属于本单位职责", by=people["handler"])
    client.force_login(people["dispatcher"])
    assert appeal.number in client.get("/desk/dispatch?tab=returned").content.decode()
    assert appeal.number not in client.get("/desk/dispatch?tab=new").content.decode()


def test_supervisor_board_shows_topic_progress(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    from minyi.accountability import topics

    topic = topics.create_topic("古桥老街停车难", owner=people["supervisor"], leader=people["leader"], by=people["admin"])
    for _ in range(2):
        topics.link_appeal(topic, appeal_in(State.DISPATCHED), by=people["admin"])
    topics.link_appeal(topic, appeal_in(State.CLOSED), by=people["admin"])
    client.force_login(people["supervisor"])
    body = client.get("/desk/supervise").content.decode()
    assert "古桥老街停车难" in body and "交办3件，解决1件，剩余2件正解决中" in body


def test_portal_and_intake_forms_take_the_assistants_question(client: Client, people: dict[str, Any]) -> None:
    page = client.get("/portal/", {"kind": "consult", "title": "养犬登记", "content": "养犬登记要多少钱"}).content.decode()
    assert "养犬登记要多少钱" in page
    client.force_login(people["operator"])
    page = client.get("/appeals/new", {"title": "养犬登记"}).content.decode()
    assert 'value="养犬登记"' in page


def test_duplicate_can_be_merged_from_the_queue(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    main = appeal_in(State.DISPATCHED)
    dup = appeal_in(State.PENDING_DISPATCH)
    Appeal.objects.filter(pk=dup.pk).update(triage={"duplicates": [{"number": main.number, "score": 0.9, "reason": "同一来电人"}]})
    client.force_login(people["dispatcher"])
    page = client.get("/desk/dispatch").content.decode()
    assert f'value="{main.number}"' in page and "并入" in page
    client.post(f"/appeals/{dup.number}/act/merge", {"merge-merge_into": main.number, "number": dup.number})
    dup.refresh_from_db()
    assert dup.state is State.MERGED and dup.merged_into_id == main.pk


def test_dispatch_queue_puts_the_most_urgent_first(client: Client, people: dict[str, Any]) -> None:
    """特急 before 紧急 before 一般, whatever the stored codes sort like as text."""
    normal = intake(by=people["operator"], title="路灯不亮", content="明湖路一段路灯已经一周不亮。")
    critical = intake(priority="critical", by=people["operator"], title="燃气泄漏", content="幸福小区3幢楼道里有很重的煤气味。")
    urgent = intake(priority="urgent", by=people["operator"], title="水管爆裂", content="湖滨路自来水管爆裂，路面积水。")
    client.force_login(people["dispatcher"])
    page = client.get("/desk/dispatch").content.decode()
    positions = [page.index(a.number) for a in (critical, urgent, normal)]
    assert positions == sorted(positions)
