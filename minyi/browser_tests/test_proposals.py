"""A proposal's whole loop on a phone-sized screen: 登记 → 交办 → 协办意见 → 面商 → 答复函 → 不满意 → 重办 → 满意.

The liaison office, the 主办 unit (区住建局) and the 协办 unit (区城管局) each work on a phone.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.browser_tests.conftest import login, new_page, shot
from minyi.directory.models import Department
from minyi.proposals.demo import _cast
from minyi.proposals.models import Proposal
from minyi.workflow import services as wf
from minyi.workflow.machine import State

pytestmark = pytest.mark.browser


def phone(browser: Any, base: str, username: str) -> Any:
    page = new_page(browser, mobile=True)
    login(page, base, username, DEMO_PASSWORD)
    return page


def act(page: Any, base: str, pk: int, action: str, fill: dict[str, str] | None = None, **select: Any) -> None:
    """Open the proposal, unfold one action, fill it in and submit; the page must not show an error."""
    page.goto(f"{base}/proposals/{pk}")
    block = page.locator(f"details[data-action='{action}']")
    block.locator("summary").click()
    for name, value in (fill or {}).items():
        block.locator(f"[name='{action}-{name}']").fill(value)
    for name, value in select.items():
        block.locator(f"[name='{action}-{name}']").select_option(value)
    block.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()


def status(page: Any, base: str, pk: int) -> str:
    page.goto(f"{base}/proposals/{pk}")
    return str(page.get_by_test_id("status").inner_text())


def test_a_proposal_from_assignment_to_satisfaction(browser: Any, live_server: Any, district_tx: None) -> None:
    ensure_demo_accounts()
    _cast(DEMO_PASSWORD)  # the liaison's demo login
    base = live_server.url
    zjj, cgj = (str(Department.objects.get(code=c).pk) for c in ("zjj", "cgj"))

    # 登记 by the liaison office, on a phone.
    liaison = phone(browser, base, "liaison")
    liaison.goto(f"{base}/proposals/new")
    liaison.select_option("#id_kind", "npc_suggestion")
    liaison.fill("#id_title", "关于加快湖滨新村老旧住宅加装电梯的建议")
    liaison.fill("#id_content", "湖滨新村多为六层住宅，老年住户上下楼困难。建议简化审批流程，提高财政补贴标准。")
    liaison.fill("#id_proposer_name", "沈建国")
    liaison.fill("#id_proposer_group", "明湖街道代表团")
    liaison.fill("#id_proposer_phone", "13912345678")
    liaison.get_by_role("button", name="登记").click()
    proposal = Proposal.objects.get()
    pk = proposal.pk
    assert liaison.viewport_size["width"] == 390
    assert "沈建国" in liaison.get_by_test_id("proposer").inner_text()

    # 交办: 主办 区住建局, 协办 区城管局, at the meeting of today.
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    act(liaison, base, pk, "assign", {"assigned_on": today}, lead=zjj, co_units=[cgj])
    assert status(liaison, base, pk) == "待签收"
    assert liaison.get_by_test_id("due").inner_text() != "—"
    shot(liaison, "proposal-1-assigned")

    # The 主办 unit signs for it; the 协办 unit gives its opinion; the 主办 unit records the 面商.
    lead = phone(browser, base, "h-zjj")
    act(lead, base, pk, "claim")
    co = phone(browser, base, "h-cgj")
    act(co, base, pk, "opinion", {"opinion": "同意主办单位意见，施工期间配合做好市容和渣土管理。"}, department=cgj)
    assert "同意主办单位意见" in co.locator("#opinions").inner_text()
    act(
        lead,
        base,
        pk,
        "consult",
        {
            "held_on": today,
            "place": "湖滨社区议事厅",
            "participants": "沈建国代表、区住建局副局长",
            "summary": "逐户走访后，代表同意先行试点两个单元，并希望年内开工。",
        },
    )
    assert "湖滨社区议事厅" in lead.locator("#consultations").inner_text()

    # 答复函 (B), reviewed by the liaison office, downloadable as Word.
    act(lead, base, pk, "letter", {"body": "湖滨新村加装电梯已列入明年计划，目前正在开展入户意见征集。", "contact": "王磊 0512-66001234"}, classification="B")
    shot(lead, "proposal-2-letter")
    with lead.expect_download() as download:
        lead.get_by_test_id("letter-download").click()
    texts = [p.text for p in Document(io.BytesIO(Path(download.value.path()).read_bytes())).paragraphs]
    assert texts[0] == "B类" and "沈建国代表：" in texts
    act(liaison, base, pk, "approve")
    assert status(liaison, base, pk) == "待回访"

    # 不满意 → 重办: back to the 主办 unit, due a month on.
    liaison.goto(f"{base}/proposals/{pk}")
    block = liaison.locator("details[data-action='rate']")
    block.locator("summary").click()
    block.locator("input[value='unsatisfied']").check()
    block.locator("[name='rate-comment']").fill("没有明确开工时间")
    block.locator("button[type=submit]").click()
    assert status(liaison, base, pk) == "待签收"
    assert "重办" in liaison.locator("#timeline").inner_text()
    proposal.refresh_from_db()
    assert proposal.appeal.reopen_count == 1 and proposal.appeal.state is State.DISPATCHED

    act(lead, base, pk, "claim")
    act(lead, base, pk, "letter", {"body": "经重新研究，湖滨新村首批4台电梯将于下月开工，年底前投入使用。"}, classification="A")
    act(liaison, base, pk, "approve")

    # 满意 closes it.
    liaison.goto(f"{base}/proposals/{pk}")
    block = liaison.locator("details[data-action='rate']")
    block.locator("summary").click()
    block.locator("input[value='satisfied']").check()
    block.locator("button[type=submit]").click()
    assert status(liaison, base, pk) == "已办结"
    assert liaison.get_by_test_id("satisfaction").inner_text() == "满意"
    assert liaison.get_by_test_id("classification").inner_text().startswith("A")
    shot(liaison, "proposal-3-closed")
    proposal.refresh_from_db()
    assert wf.replay_state(proposal.appeal) is State.CLOSED and proposal.letter_count == 2

    # The desk lists it with its class and the proposer's satisfaction.
    liaison.goto(f"{base}/proposals/?cls=A")
    assert "湖滨新村" in liaison.locator("#proposals").inner_text()
