"""Personal data typed into an appeal is masked on every page; a full view is one audited 查看完整信息 (REVEAL_PII)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import make_user
from minyi.core.pii import mask_text, present
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State
from minyi.workflow.policy import Role

ID_NUMBER = "11010519491231002X"  # GB 11643's published example, a valid checksum
ID_MASKED = "110***********002X"
TYPED_PHONE = "13912345678"
CARD = "6222021234567890128"  # passes Luhn
CONTACT = "13812345678"  # the contact phone conftest.intake gives


@pytest.fixture
def typed(appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> Appeal:
    """An appeal in 区住建局's inbox whose citizen typed an ID, a phone and a bank card into the text."""
    appeal = appeal_in(State.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(  # the text as a citizen typed it (test setup, no workflow field)
        title=f"身份证{ID_NUMBER}的社保卡补办",
        content=f"本人身份证号{ID_NUMBER}，电话{TYPED_PHONE}，退款请打到卡号{CARD}。",
    )
    wf.perform(appeal, Event.RETURN, by=people["handler"], reason=f"请与诉求人{TYPED_PHONE}核实后改派")
    return Appeal.objects.get(pk=appeal.pk)


def page(client: Client, appeal: Appeal) -> str:
    response = client.get(f"/appeals/{appeal.number}")
    assert response.status_code == 200
    return response.content.decode()


def assert_masked(body: str) -> None:
    for full in (ID_NUMBER, TYPED_PHONE, CARD, CONTACT):
        assert full not in body
    assert ID_MASKED in body and "139****5678" in body and "138****5678" in body


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_leaders_and_supervisors_see_masks_and_cannot_reveal(client: Client, people: dict[str, Any], typed: Appeal, role: str) -> None:
    client.force_login(people[role])
    body = page(client, typed)
    assert_masked(body)
    assert 'data-testid="reveal-pii"' not in body
    response = client.post(f"/appeals/{typed.number}/reveal")
    assert response.status_code == 403 and ID_NUMBER not in response.content.decode()
    denied = SecurityEvent.objects.get(kind=SecurityKind.DENIED)
    assert denied.actor == people[role] and denied.target == typed.number
    assert not SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII).exists()


def test_security_and_audit_admins_never_see_full_data(people: dict[str, Any], typed: Appeal) -> None:
    for role in (Role.SECADMIN, Role.AUDITOR):
        user = make_user(f"u-{role.value}", role, "sjj")
        view = present(typed, user, reveal=True)  # even when a caller asks for it
        assert not view.revealed and not view.can_reveal
        assert ID_NUMBER not in view.content and view.phone == "138****5678"


def test_handler_sees_masked_until_an_audited_reveal(client: Client, people: dict[str, Any], typed: Appeal) -> None:
    client.force_login(people["admin"])
    wf.perform(typed, Event.REJECT_RETURN, by=people["dispatcher"], reason="属于本单位职责")
    client.force_login(people["handler"])
    body = page(client, typed)
    assert_masked(body)
    assert 'data-testid="reveal-pii"' in body

    response = client.post(f"/appeals/{typed.number}/reveal")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    full = response.content.decode()
    for value in (ID_NUMBER, TYPED_PHONE, CARD, CONTACT):
        assert value in full
    event = SecurityEvent.objects.get(kind=SecurityKind.REVEAL_PII)
    assert event.actor == people["handler"] and event.target == typed.number
    assert event.details == {"appeal": typed.number, "fields": ["phone", "title", "content"]}

    assert_masked(page(client, typed))  # the next look is masked again
    client.post(f"/appeals/{typed.number}/reveal")
    assert SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII).count() == 2  # every full view leaves a row


def test_reveal_is_a_post_and_scoped(client: Client, people: dict[str, Any], typed: Appeal) -> None:
    client.force_login(people["dispatcher"])
    assert client.get(f"/appeals/{typed.number}/reveal").status_code == 405
    client.force_login(people["other_handler"])
    assert client.post(f"/appeals/{typed.number}/reveal").status_code == 404
    assert not SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII).exists()


def test_reveal_needs_the_csrf_token(people: dict[str, Any], typed: Appeal) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["dispatcher"])
    assert client.post(f"/appeals/{typed.number}/reveal").status_code == 403
    assert not SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII).exists()


def test_lists_mask_for_every_role(client: Client, people: dict[str, Any], typed: Appeal, appeal_in: Callable[..., Appeal]) -> None:
    queued = appeal_in(State.PENDING_DISPATCH)
    Appeal.objects.filter(pk=queued.pk).update(title=f"电话{TYPED_PHONE}，身份证{ID_NUMBER}")
    client.force_login(people["dispatcher"])
    for url, appeal in (("/appeals/", typed), ("/appeals/", queued), ("/desk/dispatch", queued)):
        body = client.get(url).content.decode()
        assert appeal.number in body and ID_NUMBER not in body and TYPED_PHONE not in body and "110****" in body
    assert CONTACT not in client.get("/appeals/").content.decode()
    client.force_login(people["operator"])
    caller = client.get("/desk/intake/caller", {"phone": "+86 138 1234 5678"}).content.decode()
    assert typed.number in caller and ID_NUMBER not in caller


def test_inbox_masks_titles_and_phones(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(title=f"身份证{ID_NUMBER}补办")
    client.force_login(people["handler"])
    body = client.get("/desk/inbox").content.decode()
    assert appeal.number in body
    assert ID_NUMBER not in body and CONTACT not in body and "138****5678" in body


def test_present_is_the_helper_for_exports_and_the_api(people: dict[str, Any], typed: Appeal) -> None:
    masked = present(typed, people["dispatcher"])
    assert masked.can_reveal and not masked.revealed
    assert masked.as_dict()["content"] == mask_text(typed.content) and ID_MASKED in masked.content
    full = present(typed, people["dispatcher"], reveal=True)
    assert full.revealed and full.phone == CONTACT and ID_NUMBER in full.title
    assert mask_text("车牌苏E12345违停") == "车牌苏E12345违停"  # plates stay: they identify a car, not a person


def test_notices_and_webhook_payloads_carry_masked_text(people: dict[str, Any], typed: Appeal, django_capture_on_commit_callbacks: Any) -> None:
    from minyi.api.webhooks import payload_for
    from minyi.core import notify

    with django_capture_on_commit_callbacks(execute=True):  # notices go out after the commit
        wf.perform(typed, Event.APPROVE_RETURN, by=people["dispatcher"], reason="同意退回")
        redispatched = wf.perform(Appeal.objects.get(pk=typed.pk), Event.DISPATCH, by=people["dispatcher"],
                                  department=typed.department, category=typed.category)
    bodies = [notice.body for notice in notify.OUTBOX]
    assert bodies and not any(ID_NUMBER in body for body in bodies)
    assert any(ID_MASKED in body for body in bodies)
    payload = payload_for(redispatched.audit.order_by("-id").first(), "dispatched")
    assert payload["appeal"]["title"] == f"身份证{ID_MASKED}的社保卡补办"


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_overseeing_roles_see_the_callers_name_and_door_masked(client: Client, people: dict[str, Any], typed: Appeal, role: str) -> None:
    Appeal.objects.filter(pk=typed.pk).update(submitter_name="陈国华", address="明湖路188号3幢402室")
    client.force_login(people[role])
    page = client.get(f"/appeals/{typed.number}").content.decode()
    assert "陈国华" not in page and "188号" not in page and "402室" not in page
    assert "陈**" in page and "明湖路*号*幢*室" in page
    client.force_login(people["handler"])  # the department that goes to the door sees it
    page = client.get(f"/appeals/{typed.number}").content.decode()
    assert "明湖路188号3幢402室" in page


def test_overseeing_roles_see_names_and_doors_masked_in_free_text_too(client: Client, people: dict[str, Any], typed: Appeal) -> None:
    """Found by the independent re-probe: the content's house number and the reply's "陈国华先生" reached a leader."""
    Appeal.objects.filter(pk=typed.pk).update(content="我住明湖路188号3幢402室，楼道堆物。", reply_text="已电话告知陈国华先生，已清理。")
    client.force_login(people["leader"])
    page = client.get(f"/appeals/{typed.number}").content.decode()
    assert "188号" not in page and "陈国华" not in page
    assert "明湖路*号*幢*室" in page and "某先生" in page
