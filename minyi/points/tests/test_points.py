"""Points: codes, actions, the scanned report and its routing, retired/unknown codes, rewards, the ranking."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from minyi.appeals.models import Appeal
from minyi.points import importer, queries, services
from minyi.points.models import Point, PointAppeal, PointAudit, RewardEntry, new_code
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.services import SYSTEM, ActionForbidden

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def report(client: Client, point: Point, **extra: str) -> Any:
    page = client.get(f"/q/{point.code}")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(content="买了两斤青菜，回家复称只有一斤七两，秤明显有问题。", phone=PHONE, **extra)
    data["grid"] = form.initial["grid"].pk
    return client.post(f"/q/{point.code}", data)


def test_codes_are_unguessable_and_stable(scale: Point, stand: Point) -> None:
    assert scale.code != stand.code
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", scale.code)  # URL-safe, 72 random bits
    assert len({new_code() for _ in range(1000)}) == 1000
    code = scale.code
    scale.refresh_from_db()
    assert scale.code == code  # never regenerated
    assert PointAudit.objects.filter(point=scale, event="point_created").count() == 1


def test_point_data_refuses_bad_input(district: None) -> None:
    from minyi.directory.models import GridCell

    bad = services.PointData(kind=Point.Kind.SCALE, name="", grid=GridCell.objects.get(code="qfjd-ft"))
    with pytest.raises(ValidationError) as exc:
        services.create_point(bad, by=SYSTEM)
    assert "请填写点位名称" in exc.value.messages
    assert "电子秤须填写所属市场" in exc.value.messages
    assert not Point.objects.exists()


def test_scale_page_shows_merchant_and_verification(scale: Point) -> None:
    page = Client().get(f"/q/{scale.code}")
    text = page.content.decode()
    assert "老王蔬菜" in text and "枫亭菜场" in text
    assert "检定合格" in text and "2026-05-12" in text
    assert page.context["form"].initial["title"].startswith("缺斤短两")


def test_scale_report_keeps_its_point_and_goes_to_market_regulation(scale: Point, django_capture_on_commit_callbacks: Any) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, scale)
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.point_link.point == scale
    assert appeal.channel.code == "ssp"
    assert appeal.category is not None and appeal.category.name == "缺斤短两"
    assert appeal.state is State.DISPATCHED  # the outbox job ran after commit (sync transport in tests)
    assert appeal.department is not None and appeal.department.code == "scj"
    events = list(appeal.audit.exclude(event="triage").values_list("event", flat=True))
    assert events == ["register", "point_report", "accept", "dispatch"]
    done = client.get(response["Location"])
    assert "区市场监督管理局" in done.content.decode()
    assert "老王蔬菜" in done.content.decode()


def test_a_double_submit_files_one_appeal(scale: Point) -> None:
    client = Client()
    page = client.get(f"/q/{scale.code}")
    form = page.context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()} | {
        "content": "称重不足，少了二两左右。",
        "phone": PHONE,
        "grid": form.initial["grid"].pk,
    }
    client.post(f"/q/{scale.code}", data)
    client.post(f"/q/{scale.code}", data)
    assert Appeal.objects.count() == 1 and PointAppeal.objects.count() == 1


def test_routing_can_wait_for_the_dispatcher(scale: Point, settings: Any) -> None:
    settings.MINYI_POINTS_AUTO_ROUTE = False
    report(Client(), scale)
    appeal = Appeal.objects.get()
    assert appeal.state is State.REGISTERED and appeal.point_link.point == scale


def test_stand_prefills_place_and_channel(stand: Point) -> None:
    page = Client().get(f"/q/{stand.code}")
    initial = page.context["form"].initial
    assert initial["grid"].code == "mhjd-hb" and "湖滨骑手驿站" in initial["address"]
    assert initial["lat"] == pytest.approx(31.318)
    report(Client(), stand, title="骑手驿站旁餐馆后厨脏乱")
    appeal = Appeal.objects.get()
    assert appeal.channel.code == "ssp" and appeal.grid is not None and appeal.grid.code == "mhjd-hb"
    assert appeal.state is State.REGISTERED  # a stand's report goes to the dispatcher like any 随手拍


def test_unknown_and_retired_codes_get_clear_pages(scale: Point, people: dict[str, Any]) -> None:
    client = Client()
    unknown = client.get("/q/not-a-real-code")
    assert unknown.status_code == 404 and "无法识别的二维码" in unknown.content.decode()
    with pytest.raises(ActionForbidden):
        services.retire_point(scale, reason="秤已报废", by=people["handler"])  # 区住建局: not its point
    services.retire_point(scale, reason="秤已报废，换新秤新码", by=people["admin"])
    gone = client.get(f"/q/{scale.code}")
    assert gone.status_code == 410
    assert "已停用" in gone.content.decode() and "秤已报废" in gone.content.decode()
    assert client.post(f"/q/{scale.code}", {"content": "x"}).status_code == 410
    assert not Appeal.objects.exists()
    with pytest.raises(ValidationError):
        services.report_at_point(
            Point.objects.get(pk=scale.pk), services.appeal_services.IntakeData(channel=None, title="t", content="内容内容内容"), caller="t"
        )  # type: ignore[arg-type]


def test_old_stand_links_still_prefill_the_community(district: None) -> None:
    page = Client().get("/portal/?stand=mhjd-hb")
    assert page.status_code == 200
    assert page.context["form"].initial["grid"].code == "mhjd-hb"


def test_reward_confirmed_by_the_department_shows_on_tracking(
    scale: Point, scj_handler: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report(Client(), scale)
    appeal = Appeal.objects.get()
    with pytest.raises(ActionForbidden):
        services.decide_reward(appeal, valid=True, by=people["handler"])  # not the handling department
    with pytest.raises(ValidationError):
        services.decide_reward(appeal, valid=False, by=scj_handler)  # no reason for "invalid"
    entry = services.decide_reward(appeal, valid=True, by=scj_handler, note="现场复核属实")
    assert entry.points == 10 and entry.point == scale
    assert appeal.audit.filter(event="point_reward").count() == 1
    with pytest.raises(ValidationError):
        services.decide_reward(appeal, valid=True, by=scj_handler)  # once
    page = Client().post("/portal/track", {"number": appeal.number, "phone": PHONE})
    text = page.content.decode()
    assert "获得 10 分" in text and "累计积分：10 分" in text


def test_reward_ledger_page_and_export(scale: Point, scj_handler: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report(Client(), scale)
    appeal = Appeal.objects.get()
    client = Client()
    client.force_login(scj_handler)
    page = client.get("/points/rewards")
    assert appeal.number in page.content.decode()  # waiting for the finding
    assert client.post(f"/points/rewards/{appeal.number}/decide", {"valid": "1", "note": "属实"}).status_code == 302
    assert RewardEntry.objects.get().valid
    export = client.get("/points/rewards?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("认定时间", "诉求编号", "标题")
    assert rows[1][1] == appeal.number and rows[1][6] == 10
    assert rows[1][4] == "139****5678"  # masked, never the full phone


def test_ranking_and_point_page_history(scale: Point, stand: Point, people: dict[str, Any]) -> None:
    for _ in range(3):
        report(Client(), scale)
    report(Client(), stand, title="路边摊无证经营")
    top = queries.ranking()
    assert [(r["point"], r["complaints"]) for r in top] == [(scale, 3), (stand, 1)]
    client = Client()
    client.force_login(people["leader"])
    page = client.get(f"/points/{scale.code}")
    assert "本月 3 件，累计 3 件" in page.content.decode()
    cockpit = client.get("/cockpit/")
    assert "本月扫码诉求最多的点位" in cockpit.content.decode() and scale.name in cockpit.content.decode()
    other = Client()
    other.force_login(people["handler"])  # 区住建局: sees the count, not 市场监管's appeals
    assert Appeal.objects.first().number not in other.get(f"/points/{scale.code}").content.decode()  # type: ignore[union-attr]


def _sheet(rows: list[list[Any]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    buf.seek(0)
    return buf


def test_excel_import_all_or_nothing(district: None, tmp_path: Any) -> None:
    good = ["电子秤", "新丰农贸市场 A01 新丰猪肉", "新丰社区", "新丰路 8 号", 31.292, 120.618, "", "新丰农贸市场", "新丰猪肉", "A01", "2026-04-01", "检定合格"]
    stand = ["随手拍立牌", "随手拍立牌·古桥骑手之家", "sqjd-gq", "古桥街 2 号", "", "", "区市场监督管理局"]
    bad = ["电梯", "湖滨新村 3 幢电梯", "不存在社区", "", "31.3", "", "", "", "", "", "昨天", "合格"]
    path = tmp_path / "points.xlsx"
    path.write_bytes(_sheet([importer.HEADERS, good, stand, bad]).getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何点位"):
        call_command("codes", "import", str(path), stderr=err)
    messages = err.getvalue()
    assert "第 4 行：社区“不存在社区”不存在" in messages
    assert "第 4 行：检定日期“昨天”无效" in messages
    assert "第 4 行：检定状态“合格”无效" in messages
    assert not Point.objects.exists()
    path.write_bytes(_sheet([importer.HEADERS, good, stand]).getvalue())
    out = io.StringIO()
    call_command("codes", "import", str(path), stdout=out)
    assert "已导入 2 个点位" in out.getvalue()
    scale = Point.objects.get(kind=Point.Kind.SCALE)
    assert scale.owner is not None and scale.owner.market is not None and scale.owner.market.name == "新丰农贸市场"
    assert scale.department is not None and scale.department.code == "scj"
    assert PointAudit.objects.filter(event="points_imported").count() == 1


def test_import_refuses_a_file_that_is_not_a_workbook(district: None) -> None:
    parsed = importer.parse_workbook(io.BytesIO(b"not a workbook"))
    assert parsed.errors == ["无法读取该文件：请上传 Excel 工作簿（.xlsx）"]


def test_template_round_trips(district: None) -> None:
    parsed = importer.parse_workbook(io.BytesIO(importer.template_workbook()))
    assert parsed.errors == [] and len(parsed.items) == 1


def test_citizen_actor_cannot_manage_points(district: None) -> None:
    from minyi.directory.models import GridCell

    data = services.PointData(kind=Point.Kind.TOILET, name="古桥公厕", grid=GridCell.objects.get(code="sqjd-gq"))
    with pytest.raises(ActionForbidden):
        services.create_point(data, by=wf.CITIZEN)


def test_staff_pages_and_label_download(scale: Point, stand: Point, people: dict[str, Any]) -> None:
    client = Client()
    assert client.get("/points/").status_code == 302  # login first
    client.force_login(people["nobody"])
    assert client.get("/points/").status_code == 403
    client.force_login(people["dispatcher"])
    listing = client.get("/points/", {"kind": "scale"}).content.decode()
    assert scale.name in listing and stand.name not in listing
    pdf = client.get("/points/labels.pdf", {"kind": "stand"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.post(f"/points/{stand.code}/retire", {"reason": "驿站搬迁"}).status_code == 302
    stand.refresh_from_db()
    assert not stand.active and stand.retired_reason == "驿站搬迁"
    assert PointAudit.objects.filter(point=stand, event="point_retired").count() == 1


def test_verification_sweep_marks_lapsed_scales_expired(scale: Point) -> None:
    import datetime as dt

    assert services.expire_verifications(today=dt.date(2027, 5, 12)) == 0  # exactly a year: still valid
    assert services.expire_verifications(today=dt.date(2027, 5, 13)) == 1
    scale.refresh_from_db()
    assert scale.verification == Point.Verification.EXPIRED
    assert "检定过期" in Client().get(f"/q/{scale.code}").content.decode()
    assert services.expire_verifications(today=dt.date(2027, 6, 1)) == 0  # once
    assert PointAudit.objects.filter(event="verification_expired").count() == 1


def test_appeal_point_tag(scale: Point) -> None:
    from django.template import Context, Template

    report(Client(), scale)
    appeal = Appeal.objects.get()
    html = Template("{% load points %}{% appeal_point appeal %}").render(Context({"appeal": appeal}))
    assert scale.name in html and f"/points/{scale.code}" in html


def test_a_scanned_report_may_carry_photos(scale: Point) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from minyi.core.bodylimit import cap_for

    assert cap_for(f"/q/{scale.code}") == cap_for("/portal/")  # photos from a scan are as welcome as from the portal
    from minyi.portal.tests.test_portal import PNG as png

    report(Client(), scale, photos=SimpleUploadedFile("scale.png", png, content_type="image/png"))  # type: ignore[arg-type]
    appeal = Appeal.objects.get()
    assert appeal.attachments.count() == 1


def test_import_page_reports_rows_and_imports_all_or_nothing(people: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(people["dispatcher"])
    assert client.get("/points/import?template=1").content[:2] == b"PK"
    bad = _sheet([importer.HEADERS, ["公厕", "古桥弄公厕", "古桥社区"], ["路灯", "明湖路 3 号路灯", "湖滨社区"]]).getvalue()
    page = client.post("/points/import", {"file": SimpleUploadedFile("p.xlsx", bad)})
    assert page.status_code == 400
    assert "第 3 行：类型“路灯”无效" in page.content.decode()
    assert not Point.objects.exists()
    good = _sheet([importer.HEADERS, ["公厕", "古桥弄公厕", "古桥社区"]]).getvalue()
    assert client.post("/points/import", {"file": SimpleUploadedFile("p.xlsx", good)}).status_code == 302
    assert Point.objects.get().name == "古桥弄公厕"


def test_market_regulation_handler_may_import_scales_but_not_other_units_points(scj_handler: Any) -> None:
    from minyi.directory.models import GridCell

    ft = GridCell.objects.get(code="qfjd-ft")
    scale = services.PointData(kind=Point.Kind.SCALE, name="枫亭菜场 7号 张记鲜肉", grid=ft, market="枫亭菜场", merchant="张记鲜肉")
    assert services.import_points([scale], by=scj_handler)[0].department.code == "scj"  # type: ignore[union-attr]
    toilet = services.PointData(kind=Point.Kind.TOILET, name="枫亭公厕", grid=ft)
    with pytest.raises(ActionForbidden):
        services.import_points([toilet], by=scj_handler)
