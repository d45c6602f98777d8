"""Pages, fragments, admin import/export and the ninja router."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minyi.appeals.models import Appeal
from minyi.assistant import services
from minyi.assistant.models import AskLog, Card
from minyi.workflow.machine import State

pytestmark = pytest.mark.usefixtures("kb")


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_citizen_can_ask_anonymously_and_turn_it_into_an_appeal(client: Client) -> None:
    page = client.get("/assistant/", {"q": "电瓶车上牌要带啥"}).content.decode()
    assert "购车发票（原件）" in page
    assert "/assistant/card/transport-ebike-registration#materials" in page
    assert "/portal/?kind=consult" in page
    assert AskLog.objects.get().where == "web"


def test_staff_turn_a_question_into_an_appeal_at_the_intake_form(client: Client, people: dict[str, Any]) -> None:
    page = login(client, people["operator"]).get("/assistant/", {"q": "养犬登记要多少钱"}).content.decode()
    assert "/appeals/new?kind=consult" in page


def test_not_found_page_offers_an_appeal(client: Client) -> None:
    page = client.get("/assistant/", {"q": "火星移民怎么申请"}).content.decode()
    assert "知识库中没有找到" in page
    assert "转为诉求" in page


def test_suggest_fragment_is_not_logged(client: Client) -> None:
    response = client.get("/assistant/suggest", {"q": "养犬登记要带什么"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "一次性告知清单" in body
    assert "犬只狂犬病免疫证明" in body
    assert not AskLog.objects.exists()


def test_card_page_and_expired_card(client: Client) -> None:
    assert client.get("/assistant/card/livelihood-dog-registration").status_code == 200
    assert client.get("/assistant/card/employment-stable-jobs-2024").status_code == 404
    assert client.get("/assistant/faq/faq-garbage-sorting-times").status_code == 200


def test_precheck_page_reads_file_names_only(client: Client) -> None:
    files = [SimpleUploadedFile("身份证.jpg", b"x"), SimpleUploadedFile("发票.pdf", b"x")]
    response = client.post("/assistant/precheck/transport-ebike-registration?fragment=1", {"files": files})
    body = response.content.decode()
    assert "还缺少以下材料：产品合格证" in body
    assert "<html" not in body


def test_similar_fragment_is_scoped(client: Client, appeal_in: Callable[..., Appeal], people: dict[str, Any]) -> None:
    done = appeal_in(State.CLOSED)
    services.harvest()
    new = appeal_in(State.IN_PROGRESS)
    assert client.get(f"/assistant/similar/{new.number}").status_code == 302  # login first
    body = login(client, people["handler"]).get(f"/assistant/similar/{new.number}").content.decode()
    assert done.number in body
    assert "作为答复草稿" in body
    assert login(Client(), people["other_handler"]).get(f"/assistant/similar/{new.number}").status_code == 404


def test_kb_export_and_import_need_an_admin(client: Client, people: dict[str, Any]) -> None:
    assert login(client, people["handler"]).get("/assistant/kb/export.yaml").status_code == 403
    admin = login(Client(), people["admin"])
    exported = admin.get("/assistant/kb/export.yaml")
    assert exported.status_code == 200
    assert "transport-ebike-registration" in exported.content.decode()
    md = admin.get("/assistant/kb/card/health-clinic-filing.md").content.decode().replace("诊所备案（开办诊所）", "诊所备案")
    response = admin.post("/assistant/kb/import", {"files": [SimpleUploadedFile("c.md", md.encode())]})
    assert response.status_code == 302
    assert Card.objects.get(slug="health-clinic-filing").title == "诊所备案"


def test_admin_changelist_has_import_form(admin_client: Client) -> None:
    body = admin_client.get("/admin/assistant/card/").content.decode()
    assert "/assistant/kb/import" in body


def test_api_ask_and_precheck(client: Client, people: dict[str, Any]) -> None:
    """Through the mounted /api/v1/assistant endpoints, with the API's auth and error shape."""

    def post(path: str, payload: dict[str, Any]) -> Any:
        return client.post(f"/api/v1/assistant{path}", payload, content_type="application/json")

    assert post("/ask", {"question": "养犬登记要多少钱"}).status_code == 401
    client.force_login(people["operator"])
    data = post("/ask", {"question": "养犬登记要多少钱"}).json()
    assert data["found"] is True
    assert data["engine"] == "extractive"
    assert data["citations"][0]["href"] == "/assistant/card/livelihood-dog-registration#fees"
    empty = post("/ask", {"question": " "})
    assert empty.status_code == 422 and empty.json()["code"] == "invalid"
    missing = post("/precheck", {"card": "transport-ebike-registration", "files": ["身份证.png"]}).json()
    assert missing["missing"] == ["购车发票", "产品合格证"]
    assert post("/precheck", {"card": "nope", "files": []}).status_code == 404
