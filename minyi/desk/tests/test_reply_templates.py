"""Reply templates reach the reply box filled in: no literal "{日期}", blanks shown as 【】 and refused if left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from minyi.appeals.forms import ActionForm
from minyi.appeals.models import Appeal
from minyi.desk import templates
from minyi.workflow.machine import Event, State


def test_render_fills_the_date_and_marks_the_other_blanks() -> None:
    text = templates.render("我单位已于{日期}现场处置。根据{政策名称}的规定。", today=dt.date(2026, 12, 6))
    assert text == "我单位已于12月6日现场处置。根据【政策名称】的规定。"
    for _title, body in templates.DEFAULTS:
        rendered = templates.render(body, today=dt.date(2026, 12, 6))
        assert "{" not in rendered and "}" not in rendered, rendered


def test_the_appeal_page_offers_the_on_site_template_with_todays_date(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    templates.load_defaults()
    appeal = appeal_in(State.IN_PROGRESS)
    client.force_login(people["handler"])
    response = client.get(f"/appeals/{appeal.number}")
    assert response.status_code == 200
    body = response.content.decode()
    today = timezone.localdate()
    assert "已现场处置" in body
    assert "{日期}" not in body and "{" not in body.split('id="reply-template"')[1].split("</select>")[0]
    assert f"我单位已于{today.month}月{today.day}日安排工作人员现场处置" in body


def test_a_reply_with_template_blanks_left_is_refused() -> None:
    form = ActionForm({"reply-reply": "根据【政策名称】的规定：【政策要点】。"}, event=Event.REPLY, prefix="reply")
    assert not form.is_valid()
    assert "【政策名称】、【政策要点】" in str(form.errors)
    filled = ActionForm({"reply-reply": "根据《明湖区公租房管理办法》的规定，您符合申请条件。"}, event=Event.REPLY, prefix="reply")
    assert filled.is_valid(), filled.errors
