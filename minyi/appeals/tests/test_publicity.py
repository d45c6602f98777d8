"""Issue 15: staff idempotency keys are per user; 答复公开 is a named, audited action with a switch on the appeal page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Channel
from minyi.workflow.machine import State
from minyi.workflow.services import ActionForbidden


def _post(**extra: Any) -> dict[str, Any]:
    return {
        "channel": Channel.objects.get(code="12345").pk, "kind": "complaint", "priority": "normal", "submitter_type": "person",
        "title": "青枫路噪音扰民", "content": "工地夜间施工噪音很大，影响休息。", "phone": "13900001111", "idempotency_key": "form-abc",
        **extra,
    }


def test_two_operators_with_the_same_form_key_register_two_appeals(people: dict[str, Any]) -> None:
    first, second = Client(), Client()
    first.force_login(people["operator"])
    second.force_login(people["dispatcher"])
    one = first.post("/appeals/new", _post())
    two = second.post("/appeals/new", _post(phone="13700002222"))
    assert one.status_code == two.status_code == 302
    assert one["Location"] != two["Location"]
    assert Appeal.objects.count() == 2


def test_a_changed_form_under_a_used_key_is_a_form_error(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    assert client.post("/appeals/new", _post()).status_code == 302
    again = client.post("/appeals/new", _post(title="另一件事"))
    assert again.status_code == 400
    assert "这份表单已经提交过，但内容与上次不同" in again.content.decode()
    desk = client.post("/desk/intake", _post(title="第三件事"))
    assert desk.status_code == 400 and "这份表单已经提交过" in desk.content.decode()
    assert Appeal.objects.count() == 1


def test_a_key_without_a_caller_is_refused(people: dict[str, Any]) -> None:
    from minyi.workflow.services import CITIZEN

    data = services.IntakeData(channel=Channel.objects.get(code="wzxx"), title="标题", content="一段足够长的内容。")
    with pytest.raises(ValueError, match="caller"):
        services.intake_appeal(data, by=CITIZEN, idempotency_key="shared", accept=False)


def test_reply_public_is_audited_and_only_for_the_desk_roles(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    waiting = appeal_in(State.PENDING_DISPATCH)
    with pytest.raises(ValidationError, match="还没有答复"):
        services.set_reply_public(waiting, True, by=people["operator"])
    appeal = appeal_in(State.CLOSED)
    with pytest.raises(ActionForbidden):
        services.set_reply_public(appeal, True, by=people["handler"])
    services.set_reply_public(appeal, True, by=people["dispatcher"], reason="已核对无个人信息")
    services.set_reply_public(appeal, True, by=people["dispatcher"])  # already public: nothing more written
    assert Appeal.objects.get(pk=appeal.pk).reply_public is True
    services.set_reply_public(appeal, False, by=people["admin"])
    assert Appeal.objects.get(pk=appeal.pk).reply_public is False
    notes = list(appeal.audit.filter(event=services.REPLY_PUBLICITY_EVENT).order_by("id"))
    assert [n.payload["public"] for n in notes] == [True, False]
    assert "已核对无个人信息" in notes[0].reason and notes[0].event_label() == "答复公开设置"


def test_the_switch_on_the_appeal_page(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.CLOSED)
    client.force_login(people["operator"])
    page = client.get(f"/appeals/{appeal.number}").content.decode()
    assert 'id="reply-public"' in page and "设为公开" in page
    response = client.post(f"/appeals/{appeal.number}/reply-public", {"public": "1", "reason": "可公开"})
    assert response.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).reply_public is True
    assert "取消公开" in client.get(f"/appeals/{appeal.number}").content.decode()
    handler = Client()
    handler.force_login(people["handler"])
    assert 'id="reply-public"' not in handler.get(f"/appeals/{appeal.number}").content.decode()
    assert handler.post(f"/appeals/{appeal.number}/reply-public", {"public": "0"}).status_code == 403
    assert Appeal.objects.get(pk=appeal.pk).reply_public is True
