"""The appeal lifecycle as a declared state machine.

Pure data and pure functions: no Django import, so it can be checked over every
state x event and fuzzed with Hypothesis. ``minyi.workflow.services`` is the only
code that applies it to a stored appeal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


class State(enum.StrEnum):
    NEW = "new"  # not yet stored; the origin of every replay
    REGISTERED = "registered"  # 登记
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 已派单(待签收)
    IN_PROGRESS = "in_progress"  # 办理中
    SUSPENDED = "suspended"  # 挂起
    REPLIED = "replied"  # 已答复
    PENDING_CALLBACK = "pending_callback"  # 待回访
    CLOSED = "closed"  # 已办结
    REJECTED = "rejected"  # 不予受理
    MERGED = "merged"  # 已并入主件：随主件答复，之后单独回访
    RETURN_REQUESTED = "return_requested"  # 退单待审核
    ARBITRATION = "arbitration"  # 差评待仲裁


class Event(enum.StrEnum):
    REGISTER = "register"  # 登记
    ACCEPT = "accept"  # 受理
    REJECT = "reject"  # 不予受理
    CLOSE_DIRECTLY = "close_directly"  # 直接办结
    DISPATCH = "dispatch"  # 交办/派单
    REDISPATCH = "redispatch"  # 转派
    CLAIM = "claim"  # 签收
    RETURN = "return"  # 退单
    REQUEST_EXTENSION = "request_extension"  # 延期申请
    APPROVE_EXTENSION = "approve_extension"  # 延期批准
    DENY_EXTENSION = "deny_extension"  # 延期驳回
    SUSPEND = "suspend"  # 挂起
    RESUME = "resume"  # 恢复
    REPLY = "reply"  # 答复
    APPROVE_REPLY = "approve_reply"  # 审核通过
    REJECT_REPLY = "reject_reply"  # 审核退回
    SUPERVISE = "supervise"  # 督办
    CLOSE = "close"  # 回访满意办结
    REOPEN = "reopen"  # 重办
    MERGE = "merge"  # 合并
    URGE = "urge"  # 催办
    LIST_SUPERVISE = "list_supervise"  # 挂牌督办
    APPROVE_RETURN = "approve_return"  # 同意退单
    REJECT_RETURN = "reject_return"  # 驳回退单
    REFER_ARBITRATION = "refer_arbitration"  # 再次差评，提请仲裁
    ARBITRATE_REOPEN = "arbitrate_reopen"  # 仲裁重办
    ARBITRATE_CLOSE = "arbitrate_close"  # 仲裁办结
    FOLLOW_MAIN = "follow_main"  # 随主件答复
    UNMERGE = "unmerge"  # 拆分（撤销合并）


TERMINAL_STATES = frozenset({State.CLOSED, State.REJECTED})
# A merged sub-appeal waits for its main appeal: it is neither open work nor finished.
WAITING_STATES = frozenset({State.MERGED})
OPEN_STATES = frozenset(State) - TERMINAL_STATES - WAITING_STATES - {State.NEW}
# States in which the department holds the appeal and its reply clock runs (the SLA sweep's scope).
SLA_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS})


@dataclass(frozen=True)
class Context:
    """What guards may look at. Built by the service layer from the request and the row."""

    reason: str = ""
    kind: str = ""
    department_id: int | None = None
    current_department_id: int | None = None
    reply: str = ""
    satisfaction: int | None = None  # 1 (非常不满意) .. 5 (非常满意)
    has_pending_extension: bool = False
    extension_days: int = 0
    merge_target_open: bool = False
    reopen_count: int = 0


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[Context], bool]
    message: str  # shown to the user when the guard refuses, in Chinese


def _has_reason(ctx: Context) -> bool:
    return len(ctx.reason.strip()) >= 2


GUARDS: Mapping[str, Guard] = {
    g.name: g
    for g in (
        Guard("reason_given", _has_reason, "必须填写原因"),
        Guard("department_given", lambda c: c.department_id is not None, "必须选择承办部门"),
        Guard(
            "department_changes",
            lambda c: c.department_id is not None and c.department_id != c.current_department_id,
            "转派必须选择另一个部门",
        ),
        Guard("reply_given", lambda c: len(c.reply.strip()) >= 2, "必须填写答复内容"),
        Guard("is_consultation", lambda c: c.kind == "consult", "只有咨询类诉求可以直接办结"),
        Guard(
            "extension_days_valid",
            lambda c: 1 <= c.extension_days <= 30,
            "延期天数须在 1 到 30 个工作日之间",
        ),
        Guard("extension_pending", lambda c: c.has_pending_extension, "没有待审批的延期申请"),
        Guard("no_extension_pending", lambda c: not c.has_pending_extension, "已有待审批的延期申请"),
        Guard(
            "satisfied",
            lambda c: c.satisfaction is not None and c.satisfaction >= 3,
            "评价为满意或基本满意才能办结",
        ),
        Guard(
            "unsatisfied",
            lambda c: c.satisfaction is not None and c.satisfaction <= 2,
            "评价为不满意才能重办",
        ),
        Guard("merge_target_open", lambda c: c.merge_target_open, "合并目标必须是另一件未办结的诉求"),
        Guard("first_bad_rating", lambda c: c.reopen_count == 0, "该诉求已重办过，再次不满意须提请督办员仲裁"),
        Guard("repeat_bad_rating", lambda c: c.reopen_count >= 1, "首次不满意应重办整改，不需仲裁"),
    )
}


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = field(default=())


# Side effects, by name. The service layer maps each to an implementation; a test
# checks that every name used here has one.
EFFECTS = frozenset(
    {
        "stamp_accepted",
        "stamp_dispatched",
        "set_department",
        "start_claim_clock",
        "stamp_claimed",
        "start_reply_clock",
        "clear_department",
        "count_return",
        "pause_clock",
        "resume_clock",
        "record_extension_request",
        "extend_deadline",
        "clear_extension_request",
        "stamp_replied",
        "stamp_closed",
        "record_rating",
        "raise_priority",
        "count_reopen",
        "set_merged_into",
        "notify_department",
        "notify_submitter",
        "notify_supervisors",
        "notify_dispatchers",
        "notify_leaders",
        "escalate_urge",
        "escalate_supervise",
        "escalate_list",
        "clear_sla_flag",
        "stamp_bad_rating_callback",
        "follow_main_reply",
        "clear_merged_into",
    }
)

_T = Transition
_MERGEABLE = (State.REGISTERED, State.PENDING_DISPATCH, State.DISPATCHED, State.IN_PROGRESS)
_SUPERVISABLE = (State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED, State.REPLIED)

TRANSITIONS: tuple[Transition, ...] = (
    _T(State.NEW, Event.REGISTER, State.REGISTERED),
    _T(State.REGISTERED, Event.ACCEPT, State.PENDING_DISPATCH, (), ("stamp_accepted",)),
    _T(State.REGISTERED, Event.REJECT, State.REJECTED, ("reason_given",), ("stamp_closed", "notify_submitter")),
    *(
        _T(s, Event.CLOSE_DIRECTLY, State.CLOSED, ("is_consultation", "reply_given"), ("stamp_accepted", "stamp_replied", "stamp_closed", "notify_submitter"))
        for s in (State.REGISTERED, State.PENDING_DISPATCH)
    ),
    _T(
        State.PENDING_DISPATCH,
        Event.DISPATCH,
        State.DISPATCHED,
        ("department_given",),
        ("set_department", "stamp_dispatched", "start_claim_clock", "start_reply_clock", "notify_department"),
    ),
    *(
        _T(
            s,
            Event.REDISPATCH,
            State.DISPATCHED,
            ("department_changes", "reason_given"),
            ("set_department", "stamp_dispatched", "start_claim_clock", "notify_department"),
        )
        for s in (State.DISPATCHED, State.IN_PROGRESS)
    ),
    _T(State.DISPATCHED, Event.CLAIM, State.IN_PROGRESS, (), ("stamp_claimed",)),
    *(
        _T(s, Event.RETURN, State.RETURN_REQUESTED, ("reason_given",), ("count_return", "notify_dispatchers"))
        for s in (State.DISPATCHED, State.IN_PROGRESS)
    ),
    # 退单审核: accept (back to the dispatch desk, or straight to another department) or reject (same department).
    _T(State.RETURN_REQUESTED, Event.APPROVE_RETURN, State.PENDING_DISPATCH, (), ("clear_department",)),
    _T(
        State.RETURN_REQUESTED,
        Event.REDISPATCH,
        State.DISPATCHED,
        ("department_changes", "reason_given"),
        ("set_department", "stamp_dispatched", "start_claim_clock", "start_reply_clock", "notify_department"),
    ),
    _T(State.RETURN_REQUESTED, Event.REJECT_RETURN, State.DISPATCHED, ("reason_given",), ("start_claim_clock", "notify_department")),
    _T(
        State.IN_PROGRESS,
        Event.REQUEST_EXTENSION,
        State.IN_PROGRESS,
        ("reason_given", "extension_days_valid", "no_extension_pending"),
        ("record_extension_request", "notify_supervisors"),
    ),
    _T(State.IN_PROGRESS, Event.APPROVE_EXTENSION, State.IN_PROGRESS, ("extension_pending",), ("extend_deadline", "notify_department")),
    _T(State.IN_PROGRESS, Event.DENY_EXTENSION, State.IN_PROGRESS, ("extension_pending", "reason_given"), ("clear_extension_request", "notify_department")),
    _T(State.IN_PROGRESS, Event.SUSPEND, State.SUSPENDED, ("reason_given",), ("pause_clock",)),
    _T(State.SUSPENDED, Event.RESUME, State.IN_PROGRESS, (), ("resume_clock",)),
    _T(State.IN_PROGRESS, Event.REPLY, State.REPLIED, ("reply_given",), ("stamp_replied", "clear_sla_flag")),
    _T(State.REPLIED, Event.APPROVE_REPLY, State.PENDING_CALLBACK, (), ("notify_submitter",)),
    _T(State.REPLIED, Event.REJECT_REPLY, State.IN_PROGRESS, ("reason_given",), ("notify_department",)),
    # The escalation ladder: 催办 → 督办 → 挂牌督办. The SLA sweep fires these too, as the system.
    *(_T(s, Event.URGE, s, ("reason_given",), ("escalate_urge", "notify_department")) for s in _SUPERVISABLE),
    *(_T(s, Event.SUPERVISE, s, ("reason_given",), ("escalate_supervise", "notify_department")) for s in _SUPERVISABLE),
    *(
        _T(s, Event.LIST_SUPERVISE, s, ("reason_given",), ("escalate_list", "notify_department", "notify_leaders"))
        for s in _SUPERVISABLE
    ),
    _T(State.PENDING_CALLBACK, Event.CLOSE, State.CLOSED, ("satisfied",), ("record_rating", "stamp_closed")),
    # 差评: the first one reopens to the same department with raised priority (整改); a repeat goes to arbitration.
    _T(
        State.PENDING_CALLBACK,
        Event.REOPEN,
        State.DISPATCHED,
        ("unsatisfied", "first_bad_rating"),
        ("record_rating", "raise_priority", "count_reopen", "stamp_dispatched", "start_claim_clock", "start_reply_clock", "notify_department"),
    ),
    _T(
        State.PENDING_CALLBACK,
        Event.REFER_ARBITRATION,
        State.ARBITRATION,
        ("unsatisfied", "repeat_bad_rating"),
        ("record_rating", "notify_supervisors"),
    ),
    _T(
        State.ARBITRATION,
        Event.ARBITRATE_REOPEN,
        State.DISPATCHED,
        ("reason_given",),
        ("raise_priority", "count_reopen", "stamp_dispatched", "start_claim_clock", "start_reply_clock", "notify_department"),
    ),
    _T(
        State.ARBITRATION,
        Event.ARBITRATE_CLOSE,
        State.CLOSED,
        ("reason_given",),
        ("stamp_bad_rating_callback", "stamp_closed", "notify_submitter"),
    ),
    # 合并: the sub waits under its main appeal, takes the main's answer, then is called back on its own.
    *(_T(s, Event.MERGE, State.MERGED, ("merge_target_open",), ("set_merged_into",)) for s in _MERGEABLE),
    _T(State.MERGED, Event.FOLLOW_MAIN, State.PENDING_CALLBACK, ("reply_given",), ("follow_main_reply", "notify_submitter")),
    _T(State.MERGED, Event.UNMERGE, State.PENDING_DISPATCH, ("reason_given",), ("clear_merged_into",)),
)

TABLE: Mapping[tuple[State, Event], Transition] = {(t.source, t.event): t for t in TRANSITIONS}


class TransitionError(Exception):
    """The event is not allowed now; ``message`` is for the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def find(state: State, event: Event) -> Transition:
    try:
        return TABLE[(state, event)]
    except KeyError:
        raise TransitionError(
            f"当前状态“{STATE_LABELS[state]}”不能执行“{EVENT_LABELS[event]}”", code="not_allowed"
        ) from None


def failed_guards(transition: Transition, ctx: Context) -> list[Guard]:
    return [GUARDS[name] for name in transition.guards if not GUARDS[name].check(ctx)]


def step(state: State, event: Event, ctx: Context) -> Transition:
    """Return the transition to take, or raise TransitionError naming what is missing."""
    transition = find(state, event)
    failed = failed_guards(transition, ctx)
    if failed:
        raise TransitionError("；".join(g.message for g in failed), code=failed[0].name)
    return transition


def events_from(state: State) -> list[Event]:
    return [e for e in Event if (state, e) in TABLE]


def replay(events: list[Event]) -> State:
    """Fold recorded events from NEW, ignoring guards (they held when recorded)."""
    state = State.NEW
    for event in events:
        state = find(state, event).target
    return state


STATE_LABELS: Mapping[State, str] = {
    State.NEW: "新建",
    State.REGISTERED: "已登记",
    State.PENDING_DISPATCH: "待派单",
    State.DISPATCHED: "待签收",
    State.IN_PROGRESS: "办理中",
    State.SUSPENDED: "已挂起",
    State.REPLIED: "已答复",
    State.PENDING_CALLBACK: "待回访",
    State.CLOSED: "已办结",
    State.REJECTED: "不予受理",
    State.MERGED: "已合并",
    State.RETURN_REQUESTED: "退单待审核",
    State.ARBITRATION: "差评待仲裁",
}

EVENT_LABELS: Mapping[Event, str] = {
    Event.REGISTER: "登记",
    Event.ACCEPT: "受理",
    Event.REJECT: "不予受理",
    Event.CLOSE_DIRECTLY: "直接办结",
    Event.DISPATCH: "派单",
    Event.REDISPATCH: "转派",
    Event.CLAIM: "签收",
    Event.RETURN: "退单",
    Event.REQUEST_EXTENSION: "申请延期",
    Event.APPROVE_EXTENSION: "批准延期",
    Event.DENY_EXTENSION: "驳回延期",
    Event.SUSPEND: "挂起",
    Event.RESUME: "恢复办理",
    Event.REPLY: "答复",
    Event.APPROVE_REPLY: "审核通过",
    Event.REJECT_REPLY: "审核退回",
    Event.SUPERVISE: "督办",
    Event.CLOSE: "回访办结",
    Event.REOPEN: "重办",
    Event.MERGE: "合并",
    Event.URGE: "催办",
    Event.LIST_SUPERVISE: "挂牌督办",
    Event.APPROVE_RETURN: "同意退单",
    Event.REJECT_RETURN: "驳回退单",
    Event.REFER_ARBITRATION: "提请仲裁",
    Event.ARBITRATE_REOPEN: "仲裁重办",
    Event.ARBITRATE_CLOSE: "仲裁办结",
    Event.FOLLOW_MAIN: "随主件答复",
    Event.UNMERGE: "撤销合并",
}
