"""Rule-based urgency flags.

Rules, not a model: a missed gas leak costs far more than a false alarm, the
training data has no urgency labels, and dispatchers must see *why* an appeal
was raised.  The only contract that matters is monotonicity: the result is
``max(current, detected)``, so nothing here can lower a priority someone set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import halfwidth

__all__ = [
    "PRIORITIES",
    "PRIORITY_LABELS",
    "Priority",
    "UrgencyFlag",
    "assess_urgency",
    "max_priority",
]

Priority = Literal["normal", "urgent", "critical"]
PRIORITIES: tuple[Priority, ...] = ("normal", "urgent", "critical")
PRIORITY_LABELS: dict[Priority, str] = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_BY_LABEL: dict[str, Priority] = {v: k for k, v in PRIORITY_LABELS.items()}


@dataclass(frozen=True, slots=True)
class UrgencyFlag:
    code: str
    priority: Priority
    reason: str
    evidence: str


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    priority: Priority
    reason: str
    pattern: re.Pattern[str]


# Negation immediately before the cue ("没有燃气泄漏", "不存在安全隐患") is common
# in follow-up messages and replies; skipping those avoids the most frequent
# false alarms without a parser.
_NEGATION = re.compile(r"(没有|没|无|不是|不存在|并非|排除|未发现|未见)[^，。；,;!?！？]{0,4}$")

_RULES: tuple[_Rule, ...] = (
    _Rule(
        "gas",
        "critical",
        "燃气泄漏/煤气味",
        re.compile(
            r"(燃气|煤气|天然气|液化气)[^，。；]{0,6}(泄漏|泄露|漏气|味道?很?(大|浓|重)|爆炸)|闻到[^，。]{0,4}(煤气|燃气|天然气)味|漏气"
        ),
    ),
    _Rule("fire", "critical", "火灾/起火", re.compile(r"着火|起火|失火|火灾|火情|冒烟|燃烧起来|浓烟")),
    _Rule("explosion", "critical", "爆炸危险", re.compile(r"爆炸|爆燃|易燃易爆")),
    _Rule(
        "electric",
        "critical",
        "触电/漏电/电线裸露",
        re.compile(r"触电|漏电|电线(裸露|掉落|垂落|断落|脱落)|高压线(断|掉|垂|落)|电缆(裸露|断)|带电"),
    ),
    _Rule(
        "structure",
        "critical",
        "建筑结构危险",
        re.compile(r"(倒塌|坍塌|塌方|塌陷|垮塌|危房|墙体开裂|楼体开裂|随时(可能)?(倒|塌|掉)|摇摇欲坠|裂缝(越来越)?大|悬空)"),
    ),
    _Rule(
        "life",
        "critical",
        "生命危险",
        re.compile(r"生命危险|危及生命|人命关天|出人命|性命|轻生|自杀|跳楼|寻死|不想活|伤人|砍人|持刀|打死|生命安全"),
    ),
    _Rule(
        "child_risk",
        "urgent",
        "儿童处于危险",
        re.compile(
            r"(儿童|小孩|孩子|幼儿|婴儿|学生|未成年)[^。；]{0,12}(危险|被打|虐待|走失|失踪|溺水|被困|无人照看|受伤|安全隐患|性侵|猥亵)|(虐待|殴打|体罚)[^。；]{0,6}(儿童|孩子|学生|幼儿)"
        ),
    ),
    _Rule(
        "elderly_risk",
        "urgent",
        "老人处于危险",
        re.compile(
            r"(老人|老年人|孤寡|独居|空巢|残疾人|瘫痪)[^。；]{0,12}(危险|无人照顾|无人照料|被困|摔倒|走失|饿|病危|昏迷|虐待|遗弃|断水|断电)"
        ),
    ),
    _Rule("flood", "urgent", "积水/内涝/溺水", re.compile(r"内涝|洪水|水淹|溺水|淹没|山洪|泥石流|山体滑坡")),
    _Rule(
        "safety",
        "urgent",
        "安全隐患",
        re.compile(r"安全隐患|重大隐患|极其危险|非常危险|十分危险|随时可能发生|井盖(缺失|丢失|破损|被盗)|窨井"),
    ),
    _Rule(
        "utility_outage",
        "urgent",
        "停水停电停气",
        re.compile(r"(停水|停电|断水|断电|停气)[^。]{0,10}(天|多日|至今|一直)"),
    ),
)


def _coerce(priority: str | None) -> Priority:
    if priority is None or priority == "":
        return "normal"
    if priority in _RANK:
        return priority  # type: ignore[return-value]
    if priority in _BY_LABEL:
        return _BY_LABEL[priority]
    # An unknown value must not be treated as "normal": that would let a
    # typo in the caller lower a priority.  Fail loudly instead.
    raise ValueError(f"unknown priority {priority!r}; expected one of {PRIORITIES} or 一般/紧急/特急")


def max_priority(a: str | None, b: str | None) -> Priority:
    pa, pb = _coerce(a), _coerce(b)
    return pa if _RANK[pa] >= _RANK[pb] else pb


def detect_urgency(text: str) -> list[UrgencyFlag]:
    """All rules that fire on ``text``, one flag per rule, strongest first."""
    probe = halfwidth(text or "")
    flags: list[UrgencyFlag] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(probe):
            if _NEGATION.search(probe[max(0, m.start() - 10) : m.start()]):
                continue
            lo, hi = max(0, m.start() - 8), min(len(probe), m.end() + 8)
            flags.append(UrgencyFlag(rule.code, rule.priority, rule.reason, probe[lo:hi]))
            break
    flags.sort(key=lambda f: -_RANK[f.priority])
    return flags


def assess_urgency(text: str, current_priority: str | None = "normal") -> tuple[Priority, list[UrgencyFlag]]:
    """Return ``(max(current, detected), flags)``.

    ``current_priority`` accepts "normal"/"urgent"/"critical" or the Chinese
    labels.  The returned priority is never below the current one.
    """
    current = _coerce(current_priority)
    flags = detect_urgency(text)
    detected: Priority = flags[0].priority if flags else "normal"
    return max_priority(current, detected), flags
