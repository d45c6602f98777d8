"""Open311 GeoReport v2: the third-party ``georeport`` client against our live server, and the test client for the rest."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # parses our own server's responses
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone
from georeport import GeoReport

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Channel
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role


def xml_of(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own server's response


REPORT = {
    "service_code": "cxjs-sz-2",
    "lat": "31.298",
    "long": "120.585",
    "address_string": "明湖路 88 号",
    "description": "明湖路 88 号门口路灯坏了一周，晚上很黑。",
    "first_name": "小明",
    "last_name": "王",
    "phone": "13812345678",
}


@pytest.mark.django_db(transaction=True)
def test_georeport_client_against_live_server(live_server: Any, make_key: Any, people: dict[str, Any]) -> None:
    key = make_key("fixmystreet", scopes=["open311"], role=Role.OPERATOR, department="sjj-12345")
    base = f"{live_server.url}/open311/v2"
    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        service_list = client.get_service_list()
        codes = {s["service_code"]: s for s in service_list}
        assert codes["cxjs-sz-2"]["service_name"] == "路灯故障"
        assert codes["cxjs-sz-2"]["group"] == "城乡建设"
        assert "cxjs" not in codes  # services are the leaves of the tree
        definition = client.get_service_definition("cxjs-sz-2")
        assert definition["service_code"] == "cxjs-sz-2"
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = [attributes["attribute"]]
        assert attributes[0]["code"] == "kind"

    # georeport cannot POST: a FixMyStreet-style form post does.
    created = requests.post(f"{base}/requests.json", data={**REPORT, "api_key": key}, timeout=10)
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    appeal = Appeal.objects.get(number=number)
    assert appeal.channel.code == "ssp"
    assert appeal.category.code == "cxjs-sz-2"
    assert appeal.state is State.REGISTERED
    old = services.intake_appeal(
        services.IntakeData(channel=appeal.channel, title="旧诉求", content="三个月前的旧诉求内容。"),
        by=people["operator"],
        now=timezone.now() - dt.timedelta(days=120),
    )[0]

    # Public readers know an appeal by its unguessable token, never by the sequential number.
    token = appeal.public_token
    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        one = client.get_service_request(token)
        assert one["service_request_id"] == token
        assert one["status"] == "open"
        assert one["service_code"] == "cxjs-sz-2"
        assert "13812345678" not in str(one) and number not in str(one)  # never contact data, never the number
        by_id = client.get_service_requests(service_request_id=token)
        if fmt == "xml" and isinstance(by_id, dict):
            by_id = [by_id]
        assert [r["service_request_id"] for r in by_id] == [token]
        # Date ranges: the default 90-day window holds the new one only; an explicit range finds the old one.
        recent = client.get_service_requests()
        recent = [recent] if isinstance(recent, dict) else recent
        assert token in {r["service_request_id"] for r in recent}
        assert old.public_token not in {r["service_request_id"] for r in recent}
        start = (timezone.now() - dt.timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
        window = client.get_service_requests(start_date=start, end_date=end)
        window = [window] if isinstance(window, dict) else window
        assert [r["service_request_id"] for r in window] == [old.public_token]


@pytest.fixture
def key(make_key: Any) -> str:
    return str(make_key("fms", scopes=["open311"], role=Role.OPERATOR, department="sjj-12345"))


def _errors(response: Any) -> list[dict[str, Any]]:
    if response["Content-Type"].startswith("text/xml"):
        root = xml_of(response.content)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code") or 0), "description": e.findtext("description")} for e in root]
    return list(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_validation(client: Client, key: str, make_key: Any, fmt: str) -> None:
    url = f"/open311/v2/requests.{fmt}"
    reader = make_key("reader", scopes=["appeals:read"])
    cases: list[tuple[dict[str, str], int, str]] = [
        (REPORT, 403, "api_key"),
        ({**REPORT, "api_key": "mk_00000000_forged"}, 403, "api_key"),
        ({**REPORT, "api_key": reader}, 403, "open311"),
        ({**REPORT, "api_key": key, "service_code": ""}, 400, "service_code"),
        ({**REPORT, "api_key": key, "service_code": "nope"}, 400, "service_code"),
        ({k: v for k, v in {**REPORT, "api_key": key}.items() if k not in ("lat", "long", "address_string")}, 400, "位置"),
        ({**REPORT, "api_key": key, "lat": "north"}, 400, "lat"),
        ({**REPORT, "api_key": key, "description": "坏"}, 400, "content"),
        ({**REPORT, "api_key": key, "phone": "12"}, 400, "phone"),
    ]
    for data, status, words in cases:
        response = client.post(url, data)
        assert response.status_code == status, (data, response.content)
        errors = _errors(response)
        assert errors[0]["code"] == status
        assert words in errors[0]["description"]
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_post_xml_and_retry_is_idempotent(client: Client, key: str) -> None:
    data = {**REPORT, "api_key": key, "attribute[fixmystreet_id]": "4711", "attribute[kind]": "help"}
    first = client.post("/open311/v2/requests.xml", data)
    assert first.status_code == 201
    number = xml_of(first.content).findtext("request/service_request_id")
    again = client.post("/open311/v2/requests.xml", data)
    assert xml_of(again.content).findtext("request/service_request_id") == number
    appeal = Appeal.objects.get()
    assert appeal.number == number
    assert appeal.kind == "help"
    assert appeal.submitter_name == "王 小明"


@pytest.mark.django_db
def test_discovery_detail_and_404(client: Client, appeal_in: Any) -> None:
    assert client.get("/open311/v2/discovery.json").json()["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert xml_of(client.get("/open311/v2/discovery.xml").content).tag == "discovery"
    assert client.get("/open311/v2/requests/19990101-000001.json").status_code == 404
    assert client.get("/open311/v2/services/nope.xml").status_code == 404
    closed = appeal_in(State.CLOSED)
    Channel.objects.filter(pk=closed.channel_id).update(open_data=True)
    assert client.get(f"/open311/v2/requests/{closed.number}.json").status_code == 404  # not by its number
    detail = client.get(f"/open311/v2/requests/{closed.public_token}.json").json()[0]
    assert detail["status"] == "closed"
    assert detail["status_notes"] == "已办结"  # the reply only once staff mark it public
    assert detail["description"] == "市政设施"  # the category, never the citizen's text


@pytest.mark.django_db
def test_service_request_updates(client: Client, key: str, make_key: Any, appeal_in: Any, people: dict[str, Any]) -> None:
    appeal = appeal_in(State.CLOSED)
    Channel.objects.filter(pk=appeal.channel_id).update(open_data=True)
    services.set_reply_public(appeal, True, by=people["operator"])
    updates = client.get("/open311/v2/servicerequestupdates.json").json()
    mine = [u for u in updates if u["service_request_id"] == appeal.public_token]
    assert [u["status"] for u in mine][-1] == "FIXED"  # closed and resolved
    assert any(u["description"] == "答复：已修复路灯" for u in mine)
    assert len({u["update_id"] for u in updates}) == len(updates)
    xml = xml_of(client.get("/open311/v2/servicerequestupdates.xml").content)
    assert xml.tag == "service_requests_updates"
    assert xml.find("request_update/update_id") is not None

    # A key comments on its own appeals; this one was taken in at the hotline, so only a key with read-all may.
    narrow = {"api_key": key, "service_request_id": appeal.number, "description": "问题又出现了"}
    assert client.post("/open311/v2/servicerequestupdates.json", narrow).status_code == 400
    wide = make_key("fms-all", scopes=["open311", "appeals:read-all"], role=Role.OPERATOR, department="sjj-12345")
    comment = {
        "api_key": wide,
        "service_request_id": appeal.number,
        "update_id": "fms-9",
        "status": "OPEN",
        "description": "问题又出现了",
        "first_name": "小明",
    }
    first = client.post("/open311/v2/servicerequestupdates.json", comment)
    assert first.status_code == 201
    again = client.post("/open311/v2/servicerequestupdates.json", comment)
    assert again.json() == first.json()
    note = AuditEvent.objects.get(appeal=appeal, event="open311_update")
    assert note.reason == "问题又出现了"
    assert note.payload["external_update_id"] == "fms-9"
    # Our own notes are not echoed back to the client that sent them.
    assert all(u["update_id"] != str(note.pk) for u in client.get("/open311/v2/servicerequestupdates.json").json())
    assert client.post("/open311/v2/servicerequestupdates.json", {**comment, "service_request_id": "x"}).status_code == 400
    assert client.post("/open311/v2/servicerequestupdates.json", {**comment, "api_key": ""}).status_code == 403


@pytest.mark.django_db
def test_bad_dates_and_status(client: Client) -> None:
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert client.get("/open311/v2/requests.json?status=lost").status_code == 400
    later, earlier = "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"
    assert client.get(f"/open311/v2/requests.json?start_date={later}&end_date={earlier}").status_code == 400
