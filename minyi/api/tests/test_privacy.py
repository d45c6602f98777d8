"""Issue 15, findings 1, 2 and 8: what anonymous Open311 readers and API keys may see, and whose idempotency key is whose."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from minyi.api.models import ApiKey
from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.conftest import PATHS
from minyi.core.roles import roles_of
from minyi.directory.models import Category, Channel, GridCell
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "320502198801012345"
REPLY_PHONE = "13987654321"


def _ssp_appeal(people: dict[str, Any], *, kind: str = "complaint", channel: str = "ssp", closed: bool = True) -> Appeal:
    """A 随手拍 report with everything a leak could carry: name, phone, house number, exact spot, an ID in the text."""
    data = services.IntakeData(
        channel=Channel.objects.get(code=channel),
        title="王小明反映明湖路88号路灯坏了",
        content=f"我是王小明，身份证 {ID_NUMBER}，明湖路 88 号门口路灯坏了一周，电话 {PHONE}。",
        kind=kind,
        submitter_name="王小明",
        phone=PHONE,
        address="明湖路 88 号 3 单元",
        lat=31.298765,
        lng=120.585432,
        grid=GridCell.objects.get(code="mhjd-hb"),
        category=Category.objects.get(code="cxjs-sz-2"),
    )
    appeal, _ = services.intake_appeal(data, by=people["operator"])
    if closed:
        for event, kwargs in PATHS[State.CLOSED]:
            extra = kwargs()
            if "reply" in extra:
                extra["reply"] = f"已联系王小明（{REPLY_PHONE}）并修复路灯"
            appeal = wf.perform(appeal, event, by=people["admin"], **extra)
    return appeal


def _leaks(text: str, appeal: Appeal) -> list[str]:
    # House numbers as written ("88号", "88 号"): a bare "88" also turns up inside opaque hex ids.
    words = [PHONE, ID_NUMBER, REPLY_PHONE, "王小明", "88号", "88 号", "3 单元", appeal.number, "31.298765", "120.585432", "路灯坏了一周"]
    return [w for w in words if w in text]


def test_anonymous_open311_shows_only_what_a_public_map_may_show(client: Client, people: dict[str, Any]) -> None:
    public = _ssp_appeal(people)
    hotline = _ssp_appeal(people, channel="12345")  # the hotline is not open data
    report = _ssp_appeal(people, kind="report")  # a 举报 is never public, whatever the channel
    for fmt in ("json", "xml"):
        listing = client.get(f"/open311/v2/requests.{fmt}")
        assert listing.status_code == 200
        body = listing.content.decode()
        assert public.public_token in body
        assert hotline.public_token not in body and report.public_token not in body
        for appeal in (public, hotline, report):
            assert _leaks(body, appeal) == [], fmt
    [row] = client.get("/open311/v2/requests.json").json()
    assert row["service_request_id"] == public.public_token
    assert row["description"] == "市政设施"  # the category (as dispatched) stands in for the citizen's text
    assert row["address"] == "明湖街道 湖滨社区"
    assert (row["lat"], row["long"]) == (31.30, 120.59)
    assert row["status_notes"] == "已办结"  # the reply with a name and phone stays inside
    assert row["agency_responsible"] == ""
    # Detail: by the token only; the sequential number finds nothing, nor does a hidden channel's token.
    assert client.get(f"/open311/v2/requests/{public.number}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{hotline.public_token}.json").status_code == 404
    assert client.get(f"/open311/v2/requests.json?service_request_id={public.number}").json() == []
    detail = client.get(f"/open311/v2/requests/{public.public_token}.json")
    assert _leaks(detail.content.decode(), public) == []
    # Updates: what happened, not the reasons staff wrote, nor the reply.
    updates = client.get("/open311/v2/servicerequestupdates.json").content.decode()
    assert public.public_token in updates and hotline.public_token not in updates
    assert _leaks(updates, public) == [] and "已修复路灯" not in updates
    # Update ids are opaque: audit-row ids would count the platform's whole activity.
    ids = [u["update_id"] for u in client.get("/open311/v2/servicerequestupdates.json").json()]
    audit_ids = {str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)}
    assert ids and not audit_ids & set(ids) and all(i.startswith(public.public_token) for i in ids)


def test_a_reply_marked_public_shows_masked(client: Client, people: dict[str, Any]) -> None:
    appeal = _ssp_appeal(people)
    services.set_reply_public(appeal, True, by=people["dispatcher"])
    [row] = client.get("/open311/v2/requests.json").json()
    assert "修复路灯" in row["status_notes"]
    assert REPLY_PHONE not in row["status_notes"] and "139****4321" in row["status_notes"]
    updates = client.get("/open311/v2/servicerequestupdates.json").content.decode()
    assert "修复路灯" in updates and REPLY_PHONE not in updates


def test_anonymous_lookups_are_rate_limited_per_client(client: Client, people: dict[str, Any], settings: Any) -> None:
    settings.MINYI_OPEN311_PUBLIC_READS_PER_MINUTE = 3
    appeal = _ssp_appeal(people, closed=False)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=SHANGHAI), tick=False):
        codes = [client.get(f"/open311/v2/requests/{appeal.public_token}.json").status_code for _ in range(3)]
        limited = client.get("/open311/v2/requests.json")
        other_client = client.get("/open311/v2/requests.json", REMOTE_ADDR="10.0.0.9")
        spoofed = client.get("/open311/v2/requests.json", HTTP_X_FORWARDED_FOR="10.0.0.10")
    assert codes == [200, 200, 200]
    assert limited.status_code == 429
    assert limited["Retry-After"] == "50"
    assert "查询过于频繁" in limited.json()[0]["description"]
    assert other_client.status_code == 200  # per client address
    assert spoofed.status_code == 429  # a forwarded-for header from the client itself changes nothing


def _call(client: Client, method: str, path: str, key: str, body: Any = None, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json", "HTTP_X_API_KEY": key, **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


NEW = {"title": "青枫路夜间施工噪声", "content": f"青枫路工地夜里施工，噪声很大。我的身份证 {ID_NUMBER}。", "phone": PHONE, "channel": "12345"}


def test_the_same_idempotency_key_from_two_api_keys_makes_two_appeals(client: Client, make_key: Any) -> None:
    first_key = make_key("hotline-a", scopes=["appeals:read", "appeals:write"], role=Role.OPERATOR, department="sjj-12345")
    second_key = make_key("hotline-b", scopes=["appeals:read", "appeals:write"], role=Role.OPERATOR, department="sjj-12345")
    first = _call(client, "post", "/appeals", first_key, NEW, HTTP_IDEMPOTENCY_KEY="call-1")
    second = _call(client, "post", "/appeals", second_key, {**NEW, "phone": "13900001111"}, HTTP_IDEMPOTENCY_KEY="call-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]
    assert PHONE not in second.content.decode()  # nothing of the other integration's appeal
    assert Appeal.objects.count() == 2
    # A retry is still a retry for each of them, and a different body under a used key is refused.
    assert _call(client, "post", "/appeals", first_key, NEW, HTTP_IDEMPOTENCY_KEY="call-1").json()["number"] == first.json()["number"]
    changed = _call(client, "post", "/appeals", first_key, {**NEW, "title": "另一件事"}, HTTP_IDEMPOTENCY_KEY="call-1")
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency_conflict"
    assert Appeal.objects.count() == 2


def test_the_same_fixmystreet_id_from_two_open311_keys_makes_two_appeals(client: Client, make_key: Any) -> None:
    report = {"service_code": "cxjs-sz-2", "address_string": "明湖路", "description": "明湖路路灯坏了一周，晚上很黑。",
              "attribute[fixmystreet_id]": "4711"}
    one, two = make_key("fms-1", scopes=["open311"]), make_key("fms-2", scopes=["open311"])
    first = client.post("/open311/v2/requests.json", {**report, "api_key": one})
    second = client.post("/open311/v2/requests.json", {**report, "api_key": two})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()[0]["service_request_id"] != second.json()[0]["service_request_id"]
    conflict = client.post("/open311/v2/requests.json", {**report, "api_key": one, "description": "完全不同的另一件事情。"})
    assert conflict.status_code == 409 and "幂等键" in conflict.json()[0]["description"]


def test_a_key_without_pii_read_sees_only_its_own_appeals_masked(client: Client, make_key: Any, people: dict[str, Any]) -> None:
    mine = make_key("mine", scopes=["appeals:read", "appeals:write"])  # least role: what `minyi apikey create` gives
    theirs = make_key("theirs", scopes=["appeals:read", "appeals:write"])
    own = _call(client, "post", "/appeals", mine, NEW).json()["number"]
    other = _call(client, "post", "/appeals", theirs, {**NEW, "phone": "13900001111"}).json()["number"]
    desk = _ssp_appeal(people, channel="12345", closed=False)
    listing = _call(client, "get", "/appeals", mine).json()
    assert [r["number"] for r in listing["results"]] == [own]
    [row] = listing["results"]
    assert row["phone"] == "138****5678"
    assert ID_NUMBER not in row["content"] and "身份证" in row["content"]
    assert _call(client, "get", f"/appeals/{other}", mine).status_code == 404
    assert _call(client, "get", f"/appeals/{desk.number}", mine).status_code == 404
    assert _call(client, "get", f"/appeals?q={PHONE}", mine).json()["count"] == 0  # no phone look-ups without pii:read
    wide = make_key("wide", scopes=["appeals:read", "appeals:read-all"], role=Role.OPERATOR, department="sjj-12345")
    everything = _call(client, "get", "/appeals", wide).json()
    assert everything["count"] == 3
    assert PHONE not in json.dumps(everything, ensure_ascii=False)
    assert ID_NUMBER not in json.dumps(everything, ensure_ascii=False)
    shown = {r["number"]: r for r in everything["results"]}[desk.number]
    assert (shown["address"], shown["lat"], shown["lng"], shown["submitter_name"]) == ("明湖街道 湖滨社区", 31.30, 120.59, "王**")
    pii = make_key("pii", scopes=["appeals:read", "appeals:read-all", "pii:read"], role=Role.OPERATOR, department="sjj-12345")
    assert _call(client, "get", f"/appeals/{desk.number}", pii).json()["phone"] == PHONE


def test_a_new_key_gets_the_least_role(district: None) -> None:
    from minyi.api.keys import create_api_key

    reader, _ = create_api_key("reader", ["appeals:read"])
    writer, _ = create_api_key("writer", ["appeals:read", "appeals:write"])
    assert roles_of(reader.user) == frozenset()
    assert roles_of(writer.user) == {Role.OPERATOR}


def test_apikey_create_prints_the_scopes_and_warns_for_pii(district: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("apikey", "create", "--name", "crm", "--scopes", "appeals:read,pii:read")
    out = capsys.readouterr()
    assert out.out.strip().startswith("mk_")
    assert "pii:read：查看个人信息" in out.err and "appeals:read：" in out.err
    assert "警告" in out.err and "个人信息" in out.err
    assert roles_of(ApiKey.objects.get(name="crm").user) == frozenset()
    call_command("apikey", "create", "--name", "plain", "--scopes", "appeals:read")
    assert "警告" not in capsys.readouterr().err


def test_no_swagger_page_loading_scripts_from_a_cdn(client: Any) -> None:
    """Found by the independent probe: /api/v1/docs pulled Swagger UI from cdn.jsdelivr.net."""
    response = client.get("/api/v1/docs")
    assert response.status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200
