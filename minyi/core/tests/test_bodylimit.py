"""Oversized, chunked and NUL-bearing requests are refused before any view (or Django) reads the body."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.conftest import intake

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class WatchedBody(io.BytesIO):
    """A request body that remembers whether anyone read it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().readline(size)


def post_claiming(client: Client, path: str, length: int, **extra: Any) -> tuple[Any, WatchedBody]:
    body = WatchedBody(b"title=x")
    environ = {"CONTENT_LENGTH": str(length), "wsgi.input": body, **extra}
    response = client.generic("POST", path, b"title=x", content_type="application/x-www-form-urlencoded", **environ)
    return response, body


def test_300_mb_upload_is_refused_unread(client: Client, district: None) -> None:
    response, body = post_claiming(client, "/portal/", 300 * MB)
    assert response.status_code == 413
    assert "过大" in response.content.decode() and "300.0 MB" in response.content.decode()
    assert body.reads == 0
    assert Appeal.objects.count() == 0


def test_uploads_get_the_larger_cap_other_paths_the_smaller(client: Client, people: dict[str, Any], settings: Any) -> None:
    settings.MINYI_BODY_LIMITS = {"default": 1 * MB, "upload": 8 * MB}
    client.force_login(people["dispatcher"])
    assert post_claiming(client, "/desk/dispatch", 2 * MB)[0].status_code == 413
    response, _body = post_claiming(client, "/portal/", 2 * MB)
    assert response.status_code != 413  # within the upload cap: the request goes on to the view
    assert post_claiming(client, "/portal/", 9 * MB)[0].status_code == 413


def test_api_answers_in_its_error_shape(client: Client, district: None) -> None:
    response, body = post_claiming(client, "/api/v1/assistant/precheck", 50 * MB)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and "过大" in response.json()["message"]
    assert body.reads == 0


def test_chunked_body_without_length_is_refused(client: Client, district: None) -> None:
    body = WatchedBody(b"5\r\nhello\r\n0\r\n\r\n")
    response = client.generic("POST", "/portal/", b"", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": body, "CONTENT_LENGTH": ""})
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()
    assert body.reads == 0


def test_malformed_length_is_refused(client: Client, district: None) -> None:
    response, _body = post_claiming(client, "/portal/", -1)
    assert response.status_code == 400


def test_nul_in_the_query_string_is_a_400_not_a_database_error(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["dispatcher"])
    response = client.get("/appeals/?q=%00abc")
    assert response.status_code == 400 and "空字符" in response.content.decode()
    assert client.get("/appeals/?q=abc").status_code == 200
    assert client.get("/api/v1/appeals/2026%00").json()["code"] == "bad_request"  # a NUL in a path parameter


def test_nul_in_a_raw_form_field_is_refused(client: Client, people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    client.force_login(people["dispatcher"])
    response = client.post("/desk/dispatch", {"number": [appeal.number, "2026\x00"], "department": "zjj"})
    assert response.status_code == 400 and "空字符" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.department is None  # nothing was done with the rest of the form
