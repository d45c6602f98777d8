from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minyi.triage.urgency import PRIORITIES, assess_urgency, max_priority

RANK = {p: i for i, p in enumerate(PRIORITIES)}
CUES = ["燃气泄漏", "着火了", "电线裸露", "墙体开裂随时倒塌", "独居老人无人照顾", "孩子溺水", "路灯不亮", "没有燃气泄漏", "噪音"]


@given(
    text=st.lists(st.sampled_from(CUES) | st.text(max_size=10), max_size=5).map("，".join),
    current=st.sampled_from([*PRIORITIES, "一般", "紧急", "特急", None]),
)
def test_urgency_never_lowers_priority(text: str, current: str | None) -> None:
    new, flags = assess_urgency(text, current)
    base = max_priority(current, "normal")
    assert RANK[new] >= RANK[base]
    if flags:
        assert RANK[new] >= max(RANK[f.priority] for f in flags)


def test_gas_leak_is_critical_with_reason() -> None:
    new, flags = assess_urgency("楼道里燃气泄漏，味道很浓", "normal")
    assert new == "critical"
    assert flags[0].code == "gas"
    assert flags[0].reason == "燃气泄漏/煤气味"  # Chinese only: the page translates it (issue 17: no English in the zh-hans UI)
    assert "燃气" in flags[0].evidence


def test_elderly_at_risk_is_urgent() -> None:
    new, flags = assess_urgency("隔壁独居老人无人照顾已经三天", "normal")
    assert new == "urgent"
    assert any(f.code == "elderly_risk" for f in flags)


def test_child_at_risk_is_urgent() -> None:
    new, _ = assess_urgency("小区水塘没有护栏，孩子很容易溺水", "normal")
    assert RANK[new] >= RANK["urgent"]


def test_critical_stays_critical_on_harmless_text() -> None:
    assert assess_urgency("路灯不亮", "critical") == ("critical", [])


def test_chinese_labels_accepted() -> None:
    assert assess_urgency("路灯不亮", "紧急")[0] == "urgent"


def test_negated_cue_does_not_fire() -> None:
    new, flags = assess_urgency("经检查没有燃气泄漏", "normal")
    assert new == "normal"
    assert not flags


def test_unknown_priority_is_an_error_not_a_downgrade() -> None:
    with pytest.raises(ValueError, match="unknown priority"):
        assess_urgency("路灯不亮", "super-urgent")
