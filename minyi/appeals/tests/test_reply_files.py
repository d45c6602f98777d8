"""Attachments say who uploaded them and with which step, show thumbnails, and the reply's files reach the citizen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minyi.appeals.models import Attachment
from minyi.appeals.tests.test_attachments import png
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def _reply_with_photo(client: Client, people: dict[str, Any], appeal: Any) -> Attachment:
    client.force_login(people["handler"])
    photo = SimpleUploadedFile("修复后.png", png((400, 300)), content_type="image/png")
    answer = client.post(f"/appeals/{appeal.number}/act/reply", {"reply-reply": "路灯已修复，附现场照片。", "reply-files": photo})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return Attachment.objects.get(appeal=appeal, stage=Attachment.Stage.REPLY)


def test_a_reply_file_is_labelled_and_has_a_thumbnail(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    item = _reply_with_photo(client, people, appeal)
    assert item.stage == Attachment.Stage.REPLY and item.uploaded_by == people["handler"]
    html = client.get(f"/appeals/{appeal.number}").content.decode()
    assert "答复材料" in html and "群众可见" in html
    assert f"/appeals/{appeal.number}/files/{item.pk}/thumb" in html
    thumb = client.get(f"/appeals/{appeal.number}/files/{item.pk}/thumb")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg" and thumb.content[:3] == b"\xff\xd8\xff"
    client.force_login(people["other_handler"])  # another department sees neither the file nor its preview
    assert client.get(f"/appeals/{appeal.number}/files/{item.pk}/thumb").status_code == 404


def test_the_citizen_sees_the_reply_files_and_only_those(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    internal = Attachment.objects.create(
        appeal=appeal, original_name="内部核查.pdf", stored_name="x.pdf", content_type="application/pdf", size=1, stage=Attachment.Stage.SUSPEND
    )
    item = _reply_with_photo(client, people, appeal)
    citizen = Client()
    page = citizen.post("/portal/track", {"number": appeal.number, "phone": "13812345678"}).content.decode()
    assert "答复附件" in page and "修复后.png" in page and internal.original_name not in page
    link = re.search(r'href="(/portal/files/[^"]+)"', page)
    assert link is not None
    served = citizen.get(link.group(1))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    token = link.group(1).rsplit("/", 1)[1]
    forged = token.replace(f".{item.pk}:", f".{internal.pk}:")
    assert citizen.get(f"/portal/files/{forged}").status_code == 404
    assert citizen.get("/portal/files/nonsense").status_code == 404
