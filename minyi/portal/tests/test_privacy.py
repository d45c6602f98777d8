"""Issue 15, findings 1 and 2 on the portal: idempotency keys belong to a session, public links carry the token."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.directory.models import GridCell
from minyi.workflow.calendar import SHANGHAI


@pytest.fixture(autouse=True)
def _clear_limits(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def form(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "complaint", "title": "桂园路井盖缺失", "content": "桂园路 18 号门口井盖缺失，我是李四，电话 13900002222。",
        "grid": GridCell.objects.get(code="gyjd-jg").pk, "address": "桂园路 18 号", "phone": "13900002222",
        "idempotency_key": "portal-key-1", **extra,
    }


def test_another_browser_reusing_a_hidden_key_gets_its_own_appeal(client: Client, district: None) -> None:
    victim = client.post("/portal/", form())
    attacker = Client()
    stolen = attacker.post("/portal/", form(title="随便写的标题", phone="13700001111"))
    assert victim.status_code == stolen.status_code == 302
    assert stolen["Location"] != victim["Location"]
    victim_appeal = Appeal.objects.get(title="桂园路井盖缺失")
    page = attacker.get(stolen["Location"]).content.decode()
    assert victim_appeal.number not in page and victim_appeal.public_token not in page
    assert attacker.get(victim["Location"]).status_code == 302  # the victim's confirmation stays the victim's
    assert Appeal.objects.count() == 2


def test_the_same_browser_changing_the_form_under_a_used_key_gets_a_clear_error(client: Client, district: None) -> None:
    assert client.post("/portal/", form()).status_code == 302
    again = client.post("/portal/", form(title="改了标题"))
    assert again.status_code == 400
    assert "这份表单已经提交过，但内容与上次不同" in again.content.decode()
    assert Appeal.objects.count() == 1


def test_links_use_the_token_and_show_no_personal_data(client: Client, district: None) -> None:
    response = client.post("/portal/", form())
    appeal = Appeal.objects.get()
    assert response["Location"] == f"/portal/done/{appeal.public_token}"
    done = client.get(response["Location"]).content.decode()
    assert appeal.number in done and f"/portal/p/{appeal.public_token}" in done
    page = Client().get(f"/portal/p/{appeal.public_token}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "已收到您的诉求" in body
    for secret in ("13900002222", "李四", "18 号", "井盖缺失", appeal.number):
        assert secret not in body
    assert Client().get(f"/portal/p/{appeal.number}").status_code == 404


def test_lookups_answer_429_with_retry_after(client: Client, district: None) -> None:
    client.post("/portal/", form())
    appeal = Appeal.objects.get()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 59, 0, tzinfo=SHANGHAI), tick=False):
        codes = [client.post("/portal/track", {"number": appeal.number, "phone": "13900009999"}).status_code for _ in range(61)]
        progress = [client.get(f"/portal/p/{appeal.public_token}").status_code for _ in range(121)]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    assert progress[:120] == [200] * 120 and progress[120] == 429
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 59, 0, tzinfo=SHANGHAI), tick=False):
        limited = client.get(f"/portal/p/{appeal.public_token}")
    assert limited["Retry-After"] == "60"
    assert "查询过于频繁" in limited.content.decode()


def test_forwarded_for_from_the_client_does_not_reset_the_limit(client: Client, district: None) -> None:
    codes = [
        client.post("/portal/", form(idempotency_key=f"k{i}", title=f"第{i}次"), HTTP_X_FORWARDED_FOR=f"10.1.0.{i}").status_code
        for i in range(11)
    ]
    assert codes[:10] == [302] * 10 and codes[10] == 429


def test_anonymous_visits_to_the_form_write_no_session_rows(client: Client, district: None) -> None:
    """Found by the independent re-probe: every GET /portal/ saved a session row, for anyone, without limit."""
    from django.contrib.sessions.models import Session

    before = Session.objects.count()
    for _ in range(5):
        assert client.get("/portal/").status_code == 200
    assert Session.objects.count() == before
