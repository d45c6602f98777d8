"""NUL characters in the assistant API's text are a clean 422 in the API's error shape, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("kb")


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/precheck", {"card": "transport-ebike-registration\x00", "files": ["身份证.png"]}, "card"),
        ("/precheck", {"card": "transport-ebike-registration", "files": ["身份证\x00.png"]}, "files.0"),
        ("/ask", {"question": "养犬登记\x00要多少钱"}, "question"),
    ],
    ids=["precheck-card", "precheck-file", "ask"],
)
def test_nul_in_assistant_api_text_is_a_422(client: Client, people: dict[str, Any], path: str, payload: dict[str, Any], field: str) -> None:
    client.force_login(people["operator"])
    response = client.post(f"/api/v1/assistant{path}", payload, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    assert any("空字符" in m for m in body["fields"][field]), body
