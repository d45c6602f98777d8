"""The pages: login, scoped list, intake form, detail with only the allowed actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minyi.appeals.models import Appeal
from minyi.directory.models import Channel, Department
from minyi.workflow.machine import State


def test_login_page_is_chinese(client: Client, db: None) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="zh-hans"' in body and "登录" in body and "用户名" in body


def test_login_page_switches_to_english(client: Client, db: None) -> None:
    response = client.get("/login", HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.content.decode()


def test_pages_need_login(client: Client, db: None) -> None:
    response = client.get("/appeals/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_wrong_password_gets_a_clear_chinese_error(client: Client, people: dict[str, Any]) -> None:
    response = client.post("/login", {"username": "op", "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()


def test_list_is_scoped_and_masks_phones_for_every_role(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    mine = appeal_in(State.DISPATCHED)
    theirs = appeal_in(State.PENDING_DISPATCH)
    client.force_login(people["handler"])
    body = client.get("/appeals/").content.decode()
    assert mine.number in body and theirs.number not in body
    assert "13812345678" not in body and "138****5678" in body  # the full number only after an audited reveal
    client.force_login(people["leader"])
    body = client.get("/appeals/").content.decode()
    assert mine.number in body and theirs.number in body
    assert "13812345678" not in body and "138****5678" in body


def test_list_query_count_does_not_grow_with_rows(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    client.force_login(people["dispatcher"])
    appeal_in(State.DISPATCHED)
    with CaptureQueriesContext(connection) as few:
        client.get("/appeals/")
    for _ in range(5):
        appeal_in(State.DISPATCHED)
    with CaptureQueriesContext(connection) as many:
        client.get("/appeals/")
    assert len(many) == len(few)


def test_other_departments_appeal_is_not_found_for_a_handler(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    client.force_login(people["other_handler"])
    assert client.get(f"/appeals/{appeal.number}").status_code == 404
    response = client.post(f"/appeals/{appeal.number}/act/claim", {})
    assert response.status_code == 404
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED


def test_intake_form_creates_an_appeal_once(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    form = client.get("/appeals/new").content.decode()
    assert "登记诉求" in form and 'name="idempotency_key"' in form
    post = {
        "channel": Channel.objects.get(code="12345").pk,
        "kind": "complaint",
        "priority": "normal",
        "submitter_type": "person",
        "title": "青枫路噪音扰民",
        "content": "工地夜间施工噪音很大，影响休息。",
        "phone": "13900001111",
        "idempotency_key": "form-abc",
    }
    first = client.post("/appeals/new", post)
    second = client.post("/appeals/new", post)
    assert first.status_code == 302 and second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Appeal.objects.filter(title="青枫路噪音扰民").count() == 1


def test_intake_form_shows_chinese_errors(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    response = client.post(
        "/appeals/new",
        {
            "channel": Channel.objects.get(code="sst").pk,
            "kind": "complaint",
            "priority": "normal",
            "submitter_type": "enterprise",
            "title": "企业诉求",
            "content": "需要帮助办理证照。",
            "credit_code": "123",
        },
    )
    assert response.status_code == 400
    assert "统一社会信用代码无效" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_handlers_cannot_open_the_intake_form(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["handler"])
    assert client.get("/appeals/new").status_code == 403


def test_detail_offers_only_the_actions_state_and_role_allow(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    client.force_login(people["handler"])
    body = client.get(f"/appeals/{appeal.number}").content.decode()
    assert f"/appeals/{appeal.number}/act/claim" in body
    assert f"/appeals/{appeal.number}/act/return" in body
    assert f"/appeals/{appeal.number}/act/dispatch" not in body
    assert f"/appeals/{appeal.number}/act/redispatch" not in body
    client.force_login(people["leader"])
    body = client.get(f"/appeals/{appeal.number}").content.decode()
    assert f"/appeals/{appeal.number}/act/supervise" in body
    assert f"/appeals/{appeal.number}/act/claim" not in body


def test_action_form_validates_and_explains(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    client.force_login(people["handler"])
    response = client.post(f"/appeals/{appeal.number}/act/return", {"return-reason": ""})
    assert response.status_code == 400
    assert "必须填写原因" in response.content.decode()
    response = client.post(f"/appeals/{appeal.number}/act/claim", {})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state is State.IN_PROGRESS
    timeline = client.get(f"/appeals/{appeal.number}").content.decode()
    assert "签收" in timeline and "hd" in timeline


def test_forbidden_action_is_refused(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_DISPATCH)
    client.force_login(people["leader"])
    response = client.post(f"/appeals/{appeal.number}/act/dispatch", {"dispatch-department": Department.objects.get(code="zjj").pk})
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_DISPATCH


def test_callback_form_closes_or_reopens(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    client.force_login(people["operator"])
    answer = {"callback-method": "phone", "callback-satisfaction": "1", "callback-resolved": "0", "callback-comment": "没修好"}
    response = client.post(f"/appeals/{appeal.number}/act/callback", answer)
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED and appeal.satisfaction == 1


def test_callback_form_has_no_preselected_rating(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    """An untouched form must not record 非常不满意: the operator chooses explicitly."""
    appeal = appeal_in(State.PENDING_CALLBACK)
    client.force_login(people["operator"])
    page = client.get(f"/appeals/{appeal.number}").content.decode()
    select = page[page.index('name="callback-satisfaction"') :]
    select = select[: select.index("</select>")]
    assert '<option value="" selected>' in select
    response = client.post(f"/appeals/{appeal.number}/act/callback", {"callback-comment": "还没问"})
    assert response.status_code == 400
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK and appeal.satisfaction is None


def test_contradictory_callback_needs_confirmation(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    client.force_login(people["operator"])
    url = f"/appeals/{appeal.number}/act/callback"
    refused = client.post(url, {"callback-method": "phone", "callback-satisfaction": "1", "callback-resolved": "1"})
    assert refused.status_code == 400 and "相互矛盾" in refused.content.decode()
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK
    confirmed = client.post(url, {"callback-method": "phone", "callback-satisfaction": "1", "callback-resolved": "1", "callback-confirm_mixed": "on"})
    assert confirmed.status_code == 302
    appeal.refresh_from_db()
    assert appeal.satisfaction == 1 and appeal.resolved is True


def test_callback_records_its_method_and_notes(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    client.force_login(people["operator"])
    url = f"/appeals/{appeal.number}/act/callback"
    missing = client.post(url, {"callback-satisfaction": "5", "callback-resolved": "1"})
    assert missing.status_code == 400 and "回访方式" in missing.content.decode()
    done = client.post(url, {"callback-method": "visit", "callback-satisfaction": "5", "callback-resolved": "1", "callback-comment": "上门查看，路灯已亮"})
    assert done.status_code == 302
    row = appeal.audit.order_by("-id").first()
    assert row is not None and row.payload["callback_method"] == "visit" and row.payload["comment"] == "上门查看，路灯已亮"
    assert "上门回访" in client.get(f"/appeals/{appeal.number}").content.decode()


def test_healthz(client: Client, db: None) -> None:
    assert client.get("/healthz").json()["ok"] is True


def test_reply_with_attachment_is_stored_and_served_only_to_those_who_see_the_appeal(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["handler"])
    from minyi.appeals.tests.test_attachments import png

    photo = SimpleUploadedFile("现场照片.png", png(), "image/png")
    response = client.post(f"/appeals/{appeal.number}/act/reply", {"reply-reply": "已修复", "reply-files": [photo]})
    assert response.status_code == 302
    [stored] = appeal.attachments.all()
    assert stored.original_name == "现场照片.png" and stored.content_type == "image/png"
    assert client.get(f"/appeals/{appeal.number}/files/{stored.pk}").status_code == 200
    client.force_login(people["other_handler"])
    assert client.get(f"/appeals/{appeal.number}/files/{stored.pk}").status_code == 404


def test_bad_attachment_undoes_nothing_and_keeps_the_state(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["handler"])
    fake = SimpleUploadedFile("x.png", b"not an image at all", "image/png")
    response = client.post(f"/appeals/{appeal.number}/act/reply", {"reply-reply": "已修复", "reply-files": [fake]})
    assert response.status_code == 400 and "不是允许的格式" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.state is State.IN_PROGRESS and appeal.attachments.count() == 0
