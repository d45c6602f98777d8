"""The transition table, checked over every state x every event, and fuzzed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minyi.workflow import machine
from minyi.workflow.effects import IMPLEMENTATIONS
from minyi.workflow.machine import EFFECTS, GUARDS, TABLE, Context, Event, State, TransitionError

# The specification, written out independently of the table: (state, event) -> target.
EXPECTED: dict[tuple[State, Event], State] = {
    (State.NEW, Event.REGISTER): State.REGISTERED,
    (State.REGISTERED, Event.ACCEPT): State.PENDING_DISPATCH,
    (State.REGISTERED, Event.REJECT): State.REJECTED,
    (State.REGISTERED, Event.CLOSE_DIRECTLY): State.CLOSED,
    (State.REGISTERED, Event.MERGE): State.MERGED,
    (State.PENDING_DISPATCH, Event.CLOSE_DIRECTLY): State.CLOSED,
    (State.PENDING_DISPATCH, Event.DISPATCH): State.DISPATCHED,
    (State.PENDING_DISPATCH, Event.MERGE): State.MERGED,
    (State.DISPATCHED, Event.REDISPATCH): State.DISPATCHED,
    (State.DISPATCHED, Event.CLAIM): State.IN_PROGRESS,
    (State.DISPATCHED, Event.RETURN): State.RETURN_REQUESTED,
    (State.DISPATCHED, Event.SUPERVISE): State.DISPATCHED,
    (State.DISPATCHED, Event.URGE): State.DISPATCHED,
    (State.DISPATCHED, Event.LIST_SUPERVISE): State.DISPATCHED,
    (State.DISPATCHED, Event.MERGE): State.MERGED,
    (State.IN_PROGRESS, Event.REDISPATCH): State.DISPATCHED,
    (State.IN_PROGRESS, Event.RETURN): State.RETURN_REQUESTED,
    (State.IN_PROGRESS, Event.REQUEST_EXTENSION): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.APPROVE_EXTENSION): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.DENY_EXTENSION): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.SUSPEND): State.SUSPENDED,
    (State.IN_PROGRESS, Event.REPLY): State.REPLIED,
    (State.IN_PROGRESS, Event.SUPERVISE): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.URGE): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.LIST_SUPERVISE): State.IN_PROGRESS,
    (State.IN_PROGRESS, Event.MERGE): State.MERGED,
    (State.SUSPENDED, Event.RESUME): State.IN_PROGRESS,
    (State.SUSPENDED, Event.SUPERVISE): State.SUSPENDED,
    (State.SUSPENDED, Event.URGE): State.SUSPENDED,
    (State.SUSPENDED, Event.LIST_SUPERVISE): State.SUSPENDED,
    (State.REPLIED, Event.APPROVE_REPLY): State.PENDING_CALLBACK,
    (State.REPLIED, Event.REJECT_REPLY): State.IN_PROGRESS,
    (State.REPLIED, Event.SUPERVISE): State.REPLIED,
    (State.REPLIED, Event.URGE): State.REPLIED,
    (State.REPLIED, Event.LIST_SUPERVISE): State.REPLIED,
    (State.PENDING_CALLBACK, Event.CLOSE): State.CLOSED,
    (State.PENDING_CALLBACK, Event.REOPEN): State.DISPATCHED,
    (State.PENDING_CALLBACK, Event.REFER_ARBITRATION): State.ARBITRATION,
    (State.ARBITRATION, Event.ARBITRATE_REOPEN): State.DISPATCHED,
    (State.ARBITRATION, Event.ARBITRATE_CLOSE): State.CLOSED,
    (State.RETURN_REQUESTED, Event.APPROVE_RETURN): State.PENDING_DISPATCH,
    (State.RETURN_REQUESTED, Event.REDISPATCH): State.DISPATCHED,
    (State.RETURN_REQUESTED, Event.REJECT_RETURN): State.DISPATCHED,
    (State.MERGED, Event.FOLLOW_MAIN): State.PENDING_CALLBACK,
    (State.MERGED, Event.UNMERGE): State.PENDING_DISPATCH,
}

# A context that satisfies every guard of a transition (merge target, reasons, …).
FULL = Context(
    reason="原因说明",
    kind="consult",
    department_id=2,
    current_department_id=1,
    reply="答复内容",
    satisfaction=4,
    has_pending_extension=True,
    extension_days=5,
    merge_target_open=True,
)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)))
def test_every_state_and_event(state: State, event: Event) -> None:
    if (state, event) in EXPECTED:
        transition = machine.find(state, event)
        assert transition.target is EXPECTED[(state, event)]
        assert set(transition.guards) <= set(GUARDS)
        assert set(transition.effects) <= EFFECTS
    else:
        with pytest.raises(TransitionError) as info:
            machine.find(state, event)
        assert info.value.code == "not_allowed"
        assert "不能执行" in info.value.message


def test_table_declares_nothing_beyond_the_specification() -> None:
    assert set(TABLE) == set(EXPECTED)


def test_every_effect_has_an_implementation() -> None:
    assert set(IMPLEMENTATIONS) == set(EFFECTS)


def test_terminal_states_have_no_way_out() -> None:
    for state in machine.TERMINAL_STATES:
        assert machine.events_from(state) == []


def test_every_state_is_reachable_from_new() -> None:
    seen = {State.NEW}
    frontier = [State.NEW]
    while frontier:
        state = frontier.pop()
        for event in machine.events_from(state):
            target = machine.find(state, event).target
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


@pytest.mark.parametrize("transition", [t for t in machine.TRANSITIONS if t.guards], ids=lambda t: f"{t.source}-{t.event}")
def test_guards_refuse_an_empty_context_with_a_chinese_message(transition: machine.Transition) -> None:
    with pytest.raises(TransitionError) as info:
        machine.step(transition.source, transition.event, Context())
    assert info.value.code in transition.guards
    assert info.value.message


def test_extension_request_is_refused_while_one_is_pending() -> None:
    with pytest.raises(TransitionError) as info:
        machine.step(State.IN_PROGRESS, Event.REQUEST_EXTENSION, FULL)
    assert info.value.code == "no_extension_pending"


def test_merged_subs_wait_for_their_main_appeal() -> None:
    assert State.MERGED not in machine.TERMINAL_STATES
    assert State.MERGED not in machine.OPEN_STATES
    assert set(machine.events_from(State.MERGED)) == {Event.FOLLOW_MAIN, Event.UNMERGE}


def test_a_second_bad_rating_goes_to_arbitration_not_reopen() -> None:
    again = Context(satisfaction=1, reopen_count=1)
    assert machine.step(State.PENDING_CALLBACK, Event.REFER_ARBITRATION, again).target is State.ARBITRATION
    with pytest.raises(TransitionError) as info:
        machine.step(State.PENDING_CALLBACK, Event.REOPEN, again)
    assert info.value.code == "first_bad_rating"
    with pytest.raises(TransitionError) as info:
        machine.step(State.PENDING_CALLBACK, Event.REFER_ARBITRATION, Context(satisfaction=1))
    assert info.value.code == "repeat_bad_rating"


def test_callback_guards_split_on_satisfaction() -> None:
    happy = Context(satisfaction=3)
    unhappy = Context(satisfaction=2)
    assert machine.step(State.PENDING_CALLBACK, Event.CLOSE, happy).target is State.CLOSED
    assert machine.step(State.PENDING_CALLBACK, Event.REOPEN, unhappy).target is State.DISPATCHED
    with pytest.raises(TransitionError):
        machine.step(State.PENDING_CALLBACK, Event.CLOSE, unhappy)
    with pytest.raises(TransitionError):
        machine.step(State.PENDING_CALLBACK, Event.REOPEN, happy)


@given(st.lists(st.sampled_from(list(Event)), max_size=40))
def test_random_event_sequences_stay_in_declared_states(events: list[Event]) -> None:
    state = State.NEW
    applied: list[Event] = []
    for event in events:
        ctx = Context(**{**FULL.__dict__, "has_pending_extension": event is not Event.REQUEST_EXTENSION,
                         "satisfaction": 2 if event in (Event.REOPEN, Event.REFER_ARBITRATION) else 4,
                         "reopen_count": 1 if event is Event.REFER_ARBITRATION else 0})
        try:
            state = machine.step(state, event, ctx).target
        except TransitionError:
            continue
        applied.append(event)
        assert state in set(State)
    assert machine.replay(applied) is state
