"""The citizen portal: submit with photos, idempotent retries, tracking, abuse limits."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from minyi.appeals.models import Appeal
from minyi.directory.models import GridCell
from minyi.workflow.machine import State


def _image(fmt: str) -> bytes:  # real images: uploads are decoded and re-encoded
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format=fmt)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")


@pytest.fixture(autouse=True)
def _clear_limits(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def form(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "complaint", "title": "桂园路井盖缺失", "content": "桂园路人行道上井盖缺失，晚上很危险。",
        "grid": GridCell.objects.get(code="gyjd-jg").pk, "address": "桂园路 18 号", "phone": "13900002222",
        "idempotency_key": "portal-key-1", **extra,
    }


def test_submit_with_photos_registers_an_appeal(client: Client, district: None) -> None:
    photos = [SimpleUploadedFile("a.png", PNG, "image/png"), SimpleUploadedFile("b.jpg", JPEG, "image/jpeg")]
    response = client.post("/portal/", form(photos=photos))
    assert response.status_code == 302
    appeal = Appeal.objects.get(title="桂园路井盖缺失")
    assert appeal.state is State.REGISTERED and appeal.channel.code == "wzxx"
    assert sorted(a.content_type for a in appeal.attachments.all()) == ["image/jpeg", "image/png"]
    done = client.get(response["Location"]).content.decode()
    assert appeal.number in done


def test_qr_stand_link_uses_the_snapshot_channel_and_place(client: Client, district: None) -> None:
    page = client.get("/portal/?stand=qfjd-ft").content.decode()
    assert 'value="qfjd-ft"' in page
    client.post("/portal/", form(stand="qfjd-ft", grid=GridCell.objects.get(code="qfjd-ft").pk))
    assert Appeal.objects.get(title="桂园路井盖缺失").channel.code == "ssp"


def test_retry_with_the_same_key_creates_nothing_new(client: Client, district: None) -> None:
    first = client.post("/portal/", form())
    second = client.post("/portal/", form())
    assert first["Location"] == second["Location"]
    assert Appeal.objects.count() == 1


def test_file_pretending_to_be_an_image_is_refused_and_nothing_is_stored(client: Client, district: None) -> None:
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image", "image/png")
    response = client.post("/portal/", form(photos=[fake]))
    assert response.status_code == 400
    assert "不是允许的格式" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_oversized_file_is_refused(client: Client, district: None, settings: Any) -> None:
    settings.MINYI_MAX_ATTACHMENT_BYTES = 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, "image/png")
    response = client.post("/portal/", form(photos=[big]))
    assert response.status_code == 400 and "超过" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_phone_required_except_for_anonymous_reports(client: Client, district: None) -> None:
    response = client.post("/portal/", form(phone="", idempotency_key="k2"))
    assert response.status_code == 400 and "请填写手机号码" in response.content.decode()
    response = client.post("/portal/", form(phone="", kind="report", idempotency_key="k3"))
    assert response.status_code == 302


def test_csrf_is_enforced(district: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/portal/", form()).status_code == 403


def test_submissions_are_rate_limited(client: Client, district: None) -> None:
    codes = [client.post("/portal/", form(idempotency_key=f"k{i}", title=f"第{i}次")).status_code for i in range(12)]
    assert codes[:10] == [302] * 10
    assert codes[10:] == [429, 429]


def test_track_needs_number_and_matching_phone(client: Client, district: None) -> None:
    client.post("/portal/", form())
    appeal = Appeal.objects.get()
    wrong = client.post("/portal/track", {"number": appeal.number, "phone": "13900009999"}).content.decode()
    assert "没有找到" in wrong and appeal.title not in wrong
    right = client.post("/portal/track", {"number": appeal.number, "phone": "139 0000 2222"}).content.decode()
    assert appeal.title in right and "已收到您的诉求" in right


def test_done_page_is_only_for_the_submitting_browser(client: Client, district: None) -> None:
    response = client.post("/portal/", form())
    other = Client()
    assert other.get(response["Location"]).status_code == 302


def test_portal_page_is_mobile_ready_and_labelled(client: Client, district: None) -> None:
    body = client.get("/portal/").content.decode()
    assert 'name="viewport"' in body
    for field in ("id_title", "id_content", "id_phone", "id_photos"):
        assert f'for="{field}"' in body




def test_map_pin_only_when_tiles_are_configured(client: Client, district: None, settings: Any) -> None:
    assert 'id="map"' not in client.get("/portal/").content.decode()
    settings.MINYI_MAP_TILES = "http://tiles.intranet.local/{z}/{x}/{y}.png"
    page = client.get("/portal/").content.decode()
    assert 'id="map"' in page and "portal/vendor/leaflet.js" in page and "tiles.intranet.local" in page
    response = client.post("/portal/", form(lat="31.301234", lng="120.612345"))
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert float(appeal.lat) == pytest.approx(31.301234) and float(appeal.lng) == pytest.approx(120.612345)
