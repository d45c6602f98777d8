"""The 答复函 DOCX, the year's figures, and the desk pages (filters, masking, actions, download)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from docx import Document

from minyi.appeals import services as appeal_services
from minyi.conftest import intake
from minyi.directory.models import Department
from minyi.proposals import letter, services
from minyi.proposals.models import Kind, Proposal, ProposerSatisfaction
from minyi.proposals.stats import percent, year_figures
from minyi.proposals.tests.conftest import ASSIGNED_ON, register
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State

AT = dt.datetime(2025, 7, 3, 9, 0, tzinfo=SHANGHAI)
BODY = "经研究，湖滨新村加装电梯已列入2026年民生实事项目。\n目前已完成入户意见征集，首批4台年内开工。"


def _answered(liaison: Any, people: dict[str, Any], *, kind: str = Kind.NPC_SUGGESTION, cls: str = "A", **extra: Any) -> Proposal:
    proposal = register(liaison, kind=kind, **extra)
    services.assign_proposal(proposal, lead=Department.objects.get(code="zjj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    appeal_services.claim_appeal(proposal.appeal, by=people["handler"])
    services.send_letter(proposal, classification=cls, body=BODY, contact="王磊 0512-66001234", signed_on=dt.date(2025, 9, 15), by=people["handler"])
    proposal.refresh_from_db()
    return proposal


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_letter_docx_has_the_official_layout(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _answered(liaison, people, cls="B")
    doc = Document(io.BytesIO(letter.render_letter(proposal)))
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None  # A4, stored in twips
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert section.top_margin is not None and round(section.top_margin.cm, 1) == 3.7
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "B类"
    assert "明人建复〔2025〕1号" in texts
    title = "区住房和城乡建设局关于对区十七届人大五次会议沈建国代表第1号建议的答复"
    assert title in texts
    assert texts.index(title) < texts.index("沈建国代表：")  # 标题, then 主送
    assert "目前已完成入户意见征集，首批4台年内开工。" in texts  # each line of the body its own paragraph
    assert "答复类别：B 正在解决或列入计划。" in texts
    assert texts.index("区住房和城乡建设局") < texts.index("2025年9月15日")  # 落款 unit, then date
    assert "（联系人及电话：王磊 0512-66001234）" in texts
    assert any(t.startswith("抄送：区人大常委会") for t in texts)
    title_para = doc.paragraphs[texts.index(title)]
    assert title_para.runs[0].font.size.pt == 22 and title_para.alignment == 1  # 二号, centred
    assert letter.filename_of(proposal) == "答复函-2025-人大建议-第1号.docx"


@pytest.mark.django_db
def test_cppcc_letter_addresses_the_member(liaison: Any, people: dict[str, Any]) -> None:
    proposal = _answered(liaison, people, kind=Kind.CPPCC_PROPOSAL, proposer_name="林婉清", proposer_group="教育界")
    texts = [p.text for p in Document(io.BytesIO(letter.render_letter(proposal))).paragraphs]
    assert "林婉清委员：" in texts and "明政提复〔2025〕1号" in texts
    assert any("第1号提案的答复" in t for t in texts) and any("区政协提案委员会" in t for t in texts)


@pytest.mark.django_db
def test_no_letter_no_docx(liaison: Any) -> None:
    with pytest.raises(ValueError, match="no letter"):
        letter.render_letter(register(liaison))


@pytest.mark.django_db
def test_year_figures_and_the_seed_sentence(liaison: Any, people: dict[str, Any]) -> None:
    empty = year_figures(2025)
    assert empty.total == 0 and empty.closed_rate is None and percent(None) == "—"
    first = _answered(liaison, people, cls="A")
    second = _answered(liaison, people, kind=Kind.CPPCC_PROPOSAL, cls="C")
    for p, word in ((first, ProposerSatisfaction.SATISFIED), (second, ProposerSatisfaction.BASIC)):
        services.approve_letter(p, by=liaison)
        services.rate_proposal(p, satisfaction=word, by=liaison)
    f = year_figures(2025)
    assert (f.npc, f.cppcc, f.closed, f.rated, f.satisfied) == (1, 1, 2, 2, 2)
    assert f.classes == {"A": 1, "B": 0, "C": 1}
    assert f.sentence() == "1 件人大建议和 1 件政协提案全部办结，满意率 100%"
    register(liaison, kind=Kind.NPC_MOTION, title="关于制定明湖区河道保护办法的议案")
    f = year_figures(2025)
    assert f.sentence() == "2 件人大议案、建议和 1 件政协提案已办结 2 件，办结率 66.7%，满意率 100%"
    html = Template("{% load proposals_cockpit %}{% proposals_year 2025 %}").render(Context({}))
    assert "办结率 66.7%" in html and "A 已解决或采纳 1" in html


@pytest.mark.django_db
def test_desk_lists_filters_and_masks(liaison: Any, people: dict[str, Any]) -> None:
    _answered(liaison, people, cls="A")
    register(liaison, kind=Kind.CPPCC_PROPOSAL, proposer_name="林婉清", proposer_group="教育界", title="关于增加青枫路学位供给的提案")
    page = _client(liaison).get("/proposals/?year=2025").content.decode()
    assert "沈建国" in page and "林婉清" in page and "2025-10-09" in page  # the deadline: 国庆 pushes it to 10-09
    page = _client(liaison).get("/proposals/?year=2025&kind=cppcc_proposal").content.decode()
    assert "林婉清" in page and "沈建国" not in page
    page = _client(liaison).get("/proposals/?year=2025&cls=A").content.decode()
    assert "沈建国" in page and "林婉清" not in page
    zjj = Department.objects.get(code="zjj").pk
    page = _client(liaison).get(f"/proposals/?year=2025&unit={zjj}").content.decode()
    assert "沈建国" in page and "林婉清" not in page
    page = _client(liaison).get("/proposals/?year=2025&state=pending").content.decode()
    assert "林婉清" in page and "沈建国" not in page
    leader = _client(people["leader"]).get("/proposals/?year=2025").content.decode()
    assert "沈**" in leader and "沈建国" not in leader
    assert _client(people["operator"]).get("/proposals/").status_code == 403


@pytest.mark.django_db
def test_detail_actions_and_download(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    client = _client(liaison)
    page = client.get(f"/proposals/{proposal.pk}").content.decode()
    assert "13912345678" in page and 'data-action="assign"' in page
    zjj, cgj = Department.objects.get(code="zjj").pk, Department.objects.get(code="cgj").pk
    bad = client.post(f"/proposals/{proposal.pk}/act/assign", {"assign-lead": zjj, "assign-co_units": [zjj], "assign-assigned_on": "2025-07-01"})
    assert bad.status_code == 400 and "主办单位不能同时是协办单位" in bad.content.decode()
    ok = client.post(f"/proposals/{proposal.pk}/act/assign", {"assign-lead": zjj, "assign-co_units": [cgj], "assign-assigned_on": "2025-07-01"})
    assert ok.status_code == 302
    proposal.refresh_from_db()
    assert proposal.appeal.state is State.DISPATCHED
    handler = _client(people["handler"])
    assert handler.post(f"/proposals/{proposal.pk}/act/assign", {}).status_code == 302  # not offered: refused with a message
    proposal.refresh_from_db()
    assert proposal.appeal.department_id == zjj
    leader_page = _client(people["leader"]).get(f"/proposals/{proposal.pk}").content.decode()
    assert "沈**" in leader_page and "139****5678" not in leader_page.replace("139****5678", "") and "13912345678" not in leader_page
    assert _client(people["nobody"]).get(f"/proposals/{proposal.pk}").status_code == 404
    assert client.get(f"/proposals/{proposal.pk}/letter.docx").status_code == 404
    handler.post(f"/proposals/{proposal.pk}/act/claim", {})
    other = _client(people["other_handler"])
    assert other.post(f"/proposals/{proposal.pk}/act/opinion", {"opinion-department": cgj, "opinion-opinion": "同意主办单位意见。"}).status_code == 302
    r = handler.post(f"/proposals/{proposal.pk}/act/letter", {"letter-classification": "A", "letter-body": BODY, "letter-contact": ""})
    assert r.status_code == 302
    download = other.get(f"/proposals/{proposal.pk}/letter.docx")
    assert download.status_code == 200 and download["Content-Type"].endswith("wordprocessingml.document")
    assert "A类" in [p.text for p in Document(io.BytesIO(download.content)).paragraphs]


@pytest.mark.django_db
def test_the_liaison_lands_on_the_proposals_desk(liaison: Any) -> None:
    response = _client(liaison).get("/desk/")
    assert response.status_code == 302 and response["Location"] == "/proposals/"
    page = _client(liaison).get("/proposals/").content.decode()
    assert "登记建议提案" in page and 'href="/proposals/"' in page  # the navigation link


@pytest.mark.django_db
def test_the_appeal_page_points_to_the_proposal(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    services.assign_proposal(proposal, lead=Department.objects.get(code="zjj"), assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    page = _client(people["handler"]).get(f"/appeals/{proposal.appeal.number}").content.decode()
    assert f'href="/proposals/{proposal.pk}"' in page
    other = intake(by=people["operator"])
    assert "打开建议提案页面" not in _client(people["operator"]).get(f"/appeals/{other.number}").content.decode()


@pytest.mark.django_db
def test_a_handler_sees_the_proposals_of_their_unit(liaison: Any, people: dict[str, Any]) -> None:
    _answered(liaison, people)  # 主办: 区住建局
    cgj = Department.objects.get(code="cgj")
    led_by_cgj = register(liaison, title="关于提升青枫路沿线市容环境的建议")
    services.assign_proposal(led_by_cgj, lead=cgj, co_units=[Department.objects.get(code="zjj")], assigned_on=ASSIGNED_ON, by=liaison, now=AT)
    page = _client(people["handler"]).get(f"/proposals/?year=2025&unit={cgj.pk}&state=open").content.decode()
    assert "青枫路沿线市容" in page and "湖滨新村" not in page  # 协办 for zjj, led by cgj
    page = _client(people["other_handler"]).get("/proposals/").content.decode()
    assert "青枫路沿线市容" in page and "湖滨新村" not in page
