"""REST API /api/v1 (django-ninja): appeals, every workflow action, departments, categories, stats.

Each endpoint parses, authorizes (API key scope, or a logged-in session) and calls the
named actions in ``minyi.appeals.services``; the action layer checks roles and
departments. Errors share one shape (see ``minyi.api.errors``).

A session reaches these endpoints only past ``minyi.accounts.middleware.IdentityMiddleware``
(second factor, password change, 三员分立), and sees appeals masked as on the pages. A key
with ``pii:read`` sees them in full, and each such answer is written to the security log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Header, NinjaAPI, Query, Status
from ninja.security import APIKeyHeader, django_auth

from minyi.api import access, errors, reference
from minyi.api.errors import ERROR_RESPONSES, ApiError
from minyi.api.keys import check_rate, find_key, note_bad_key, refuse_blocked_address
from minyi.api.models import ApiKey
from minyi.api.schemas import (
    AppealIn,
    AppealOut,
    AppealPage,
    AuditOut,
    CategoryOut,
    DepartmentOut,
    DispatchIn,
    ExtendIn,
    MergeIn,
    OptionalReasonIn,
    RaisePriorityIn,
    RateIn,
    ReasonIn,
    ReplyIn,
    Text,
    appeal_out,
)
from minyi.appeals import services
from minyi.appeals.models import Appeal, AppealQuerySet, phone_q
from minyi.appeals.queries import visible_to
from minyi.cockpit.services import stats as cockpit_stats
from minyi.core.pii import present, searchable
from minyi.core.roles import roles_of
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.triage.pii import mask_pii
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event
from minyi.workflow.policy import may


class KeyAuth(APIKeyHeader):
    """``X-API-Key: mk_…``: the key's service user becomes ``request.user``; counts against its rate limit."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        if not key:
            return None
        refuse_blocked_address(request)
        found = find_key(key)
        if found is None:
            note_bad_key(request, key)  # logged, and 429 past the limit; else a session may still carry the request
            return None
        check_rate(found)
        request.user = found.user
        return found


api = NinjaAPI(
    title="民意 minyi API",
    version="1",
    description="诉求登记、查询与办理动作；部门、分类与统计。认证：X-API-Key（按权限范围）或网页登录会话。错误统一为 {code, message, message_en, fields}。",
    urls_namespace="api-v1",
    auth=[KeyAuth(), django_auth],
    # No Swagger page: it loads its scripts from a CDN, which an intranet has not (and the CSP forbids).
    # Integrators read /api/v1/openapi.json with their own tools.
    docs_url=None,
)
errors.install(api)


def need(request: HttpRequest, scope: str) -> Any:
    """The acting user, after checking that an API key carries ``scope`` (sessions act by role)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey) and scope not in auth.scope_set():
        raise ApiError(403, "scope_missing", f"该 API 密钥没有“{scope}”权限范围")
    return request.user


def _key(request: HttpRequest) -> ApiKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


def _readable(request: HttpRequest) -> AppealQuerySet:
    """The appeals this caller may read: a key's own (or all, with appeals:read-all); a person's by role."""
    return access.readable(request.user, _key(request))


def _shown(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    """An appeal as this caller sees it: a person as on the pages (masked), a key by its ``pii:read`` scope."""
    key = _key(request)
    if key is None:
        return appeal_out(appeal, view=present(appeal, request.user))
    return appeal_out(appeal, pii=access.key_sees_pii(key))


def _out(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    """One appeal for the answer; in full to a ``pii:read`` key, and then recorded as REVEAL_PII."""
    key = _key(request)
    if key is not None and access.key_sees_pii(key):
        access.record_disclosure(request, key, [appeal.number], listing=False)
    return _shown(request, appeal)


def _get(request: HttpRequest, number: str) -> Appeal:
    appeal = _readable(request).select_related("channel", "category", "department", "grid", "merged_into").filter(number=number).first()
    if appeal is None:
        raise ApiError(404, "not_found", f"未找到诉求 {number}")
    return appeal


def _lookup(model: Any, code: str | None, field: str, label: str) -> Any:
    if not code:
        return None
    obj = reference.by_code(model, code)
    if obj is None:
        raise ApiError(422, "invalid", f"{label}编码 {code} 不存在", fields={field: [f"{label}编码不存在"]})
    return obj


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    try:  # in UTC: PostgreSQL refuses odd offsets such as -23:58 on ancient dates
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "invalid_request", "时间超出范围") from None


# ---- appeals -------------------------------------------------------------------------

_RESPONSES: dict[int, Any] = dict(ERROR_RESPONSES)


@api.get("/appeals", response={200: AppealPage, **_RESPONSES}, tags=["appeals"], summary="诉求列表（筛选、分页）")
def list_appeals(
    request: HttpRequest,
    status: Text | None = None,
    channel: Text | None = None,
    department: Text | None = Query(None, description="承办部门编码"),  # type: ignore[type-arg]  # noqa: B008 - ninja parameter
    category: Text | None = Query(None, description="分类编码（含下级）"),  # type: ignore[type-arg]  # noqa: B008
    kind: Text | None = None,
    q: Text | None = Query(None, max_length=100, description="编号、标题或电话"),  # type: ignore[type-arg]  # noqa: B008
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    page: int = Query(1, ge=1, le=100000),  # type: ignore[type-arg]
    page_size: int = Query(20, ge=1, le=100),  # type: ignore[type-arg]
) -> dict[str, Any]:
    need(request, "appeals:read")
    qs = _readable(request).select_related("channel", "category", "department", "grid", "merged_into")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel__code=channel)
    if department:
        qs = qs.filter(department__code=department)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category) | Q(category__parent__parent__code=category))
    if kind:
        qs = qs.filter(kind=kind)
    if q and q.strip():
        # Callers who see numbers masked may neither look up phones nor search titles by digits (which
        # would confirm a masked ID number one guessed digit at a time).
        pii = access.sees_pii(request.user, _key(request))
        match = Q(number=q.strip()) | Q(title__icontains=q.strip()) if searchable(q, pii) else Q(number=q.strip())
        if pii:
            match |= phone_q(q.strip())
        qs = qs.filter(match)
    if after := _aware(created_after):
        qs = qs.filter(created_at__gte=after)
    if before := _aware(created_before):
        qs = qs.filter(created_at__lt=before)
    count = qs.count()
    start = (page - 1) * page_size
    rows = list(qs.order_by("-created_at", "-id")[start : start + page_size]) if start < count else []
    key = _key(request)
    if key is not None and access.key_sees_pii(key):  # one EXPORT_PII row for the page, not one per appeal
        access.record_disclosure(request, key, [a.number for a in rows], listing=True)
    return {"count": count, "page": page, "page_size": page_size, "results": [_shown(request, a) for a in rows]}


@api.post("/appeals", response={201: AppealOut, 200: AppealOut, **_RESPONSES}, tags=["appeals"], summary="登记诉求（支持 Idempotency-Key）")
def create_appeal(
    request: HttpRequest,
    payload: AppealIn,
    idempotency_key: Text | None = Header(None, alias="Idempotency-Key", max_length=100),  # type: ignore[type-arg]  # noqa: B008 - ninja parameter
) -> Status[dict[str, Any]]:
    user = need(request, "appeals:write")
    roles = roles_of(user)
    if not may(roles, Event.REGISTER, own_department=False):
        raise ApiError(403, "forbidden", "您没有登记诉求的权限")
    appeal, created = intake(request, user, roles, payload, idempotency_key or None)
    # A new appeal is answered from memory (it was just written, by this caller); a replay reads it back.
    return Status(201 if created else 200, _out(request, appeal if created else _get(request, appeal.number)))


def intake(request: HttpRequest, user: Any, roles: Any, payload: AppealIn, idempotency_key: str | None) -> tuple[Appeal, bool]:
    """One appeal through the intake action, as ``POST /appeals`` and each item of the batch do it."""
    channel = _lookup(Channel, payload.channel or "-", "channel", "渠道")
    data = services.IntakeData(
        channel=channel,
        title=payload.title,
        content=payload.content,
        kind=payload.kind,
        priority=payload.priority,
        submitter_type=payload.submitter_type,
        submitter_name=payload.submitter_name,
        credit_code=payload.credit_code,
        phone=payload.phone,
        address=payload.address,
        lat=payload.lat,
        lng=payload.lng,
        grid=_lookup(GridCell, payload.grid, "grid", "网格"),
        category=_lookup(Category, payload.category, "category", "分类"),
    )
    accept = not channel.public and may(roles, Event.ACCEPT, own_department=False)
    caller = access.idempotency_caller(user, _key(request))
    try:
        return services.intake_appeal(data, by=user, idempotency_key=idempotency_key, caller=caller, accept=accept)
    except services.IdempotencyConflict:
        raise ApiError(409, "idempotency_conflict", gettext(services.IDEMPOTENCY_CONFLICT_API)) from None


@api.get("/appeals/{number}", response={200: AppealOut, **_RESPONSES}, tags=["appeals"], summary="诉求详情")
def get_appeal(request: HttpRequest, number: Text) -> dict[str, Any]:
    need(request, "appeals:read")
    return _out(request, _get(request, number))


@api.get("/appeals/{number}/timeline", response={200: list[AuditOut], **_RESPONSES}, tags=["appeals"], summary="办理过程")
def timeline(request: HttpRequest, number: Text) -> list[dict[str, Any]]:
    need(request, "appeals:read")
    appeal, key = _get(request, number), _key(request)
    reason: Callable[[str], str]
    if key is None:  # a person: the reasons as the appeal's page shows them, masked
        reason = present(appeal, request.user).reason
    elif access.key_sees_pii(key):  # reasons often carry names and numbers: recorded like the appeal itself
        access.record_disclosure(request, key, [appeal.number], listing=False)
        reason = str
    else:
        reason = mask_pii
    return [
        {
            "at": e.at,
            "event": e.event,
            "event_label": e.event_label(),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor_label,
            "reason": reason(e.reason),
        }
        for e in services.timeline(appeal)
    ]


# ---- workflow actions ----------------------------------------------------------------


def _act(request: HttpRequest, number: str, action: Callable[[Appeal, Any], Appeal]) -> dict[str, Any]:
    user = need(request, "appeals:act")
    action(_get(request, number), user)
    return _out(request, _get(request, number))


_ACT: dict[str, Any] = {"response": {200: AppealOut, **_RESPONSES}, "tags": ["actions"]}


@api.post("/appeals/{number}/dispatch", summary="派单", **_ACT)
def dispatch(request: HttpRequest, number: Text, payload: DispatchIn) -> dict[str, Any]:
    department = _lookup(Department, payload.department or "-", "department", "部门")
    category = _lookup(Category, payload.category, "category", "分类")
    return _act(request, number, lambda a, u: services.dispatch_appeal(a, department, by=u, category=category, reason=payload.reason))


@api.post("/appeals/{number}/claim", summary="签收", **_ACT)
def claim(request: HttpRequest, number: Text) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.claim_appeal(a, by=u))


@api.post("/appeals/{number}/reply", summary="答复", **_ACT)
def reply(request: HttpRequest, number: Text, payload: ReplyIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.reply_appeal(a, reply=payload.reply, by=u))


@api.post("/appeals/{number}/approve-reply", summary="答复审核通过（转回访）", **_ACT)
def approve_reply(request: HttpRequest, number: Text, payload: OptionalReasonIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.approve_reply(a, by=u, reason=payload.reason))


@api.post("/appeals/{number}/return", summary="退单", **_ACT)
def return_(request: HttpRequest, number: Text, payload: ReasonIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.return_appeal(a, reason=payload.reason, by=u))


@api.post("/appeals/{number}/extend", summary="申请延期", **_ACT)
def extend(request: HttpRequest, number: Text, payload: ExtendIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.request_extension(a, days=payload.days, reason=payload.reason, by=u))


@api.post("/appeals/{number}/pause", summary="挂起", **_ACT)
def pause(request: HttpRequest, number: Text, payload: ReasonIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.suspend_appeal(a, reason=payload.reason, by=u))


@api.post("/appeals/{number}/resume", summary="恢复办理", **_ACT)
def resume(request: HttpRequest, number: Text, payload: OptionalReasonIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.resume_appeal(a, by=u, reason=payload.reason))


@api.post("/appeals/{number}/rate", summary="回访评价（满意办结，不满意重办）", **_ACT)
def rate(request: HttpRequest, number: Text, payload: RateIn) -> dict[str, Any]:
    return _act(
        request,
        number,
        lambda a, u: services.record_callback(
            a, satisfaction=payload.satisfaction, resolved=payload.resolved, comment=payload.comment, method=payload.method, by=u
        ),
    )


@api.post("/appeals/{number}/merge", summary="合并到主件", **_ACT)
def merge(request: HttpRequest, number: Text, payload: MergeIn) -> dict[str, Any]:
    def run(appeal: Appeal, user: Any) -> Appeal:
        target = _readable(request).filter(number=payload.into).first()
        if target is None:
            raise ApiError(422, "invalid", f"主件 {payload.into} 不存在", fields={"into": ["主件不存在"]})
        return services.merge_appeal(appeal, into=target, by=user, reason=payload.reason)

    return _act(request, number, run)


@api.post("/appeals/{number}/raise-priority", summary="提高紧急程度（已派单的缩短答复时限）", **_ACT)
def raise_priority(request: HttpRequest, number: Text, payload: RaisePriorityIn) -> dict[str, Any]:
    return _act(request, number, lambda a, u: services.raise_priority(a, payload.priority, reason=payload.reason, by=u))


# ---- directory and stats -------------------------------------------------------------


@api.get("/departments", response={200: list[DepartmentOut], **_RESPONSES}, tags=["directory"], summary="部门")
def departments(request: HttpRequest) -> list[dict[str, Any]]:
    need(request, "directory:read")
    return [
        {"code": d.code, "name": d.name, "kind": d.kind, "parent": d.parent.code if d.parent else None}
        for d in Department.objects.filter(active=True).select_related("parent")
    ]


@api.get("/categories", response={200: list[CategoryOut], **_RESPONSES}, tags=["directory"], summary="分类（三级）")
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    need(request, "directory:read")
    rows = list(Category.objects.filter(active=True).select_related("parent", "default_department"))
    by_id = {c.pk: c for c in rows}

    def path(c: Category) -> str:
        names = [c.name]
        while c.parent_id and c.parent_id in by_id:
            c = by_id[c.parent_id]
            names.append(c.name)
        return " / ".join(reversed(names))

    return [
        {
            "code": c.code,
            "name": c.name,
            "level": c.level,
            "parent": c.parent.code if c.parent else None,
            "path": path(c),
            "default_department": c.default_department.code if c.default_department else None,
        }
        for c in rows
    ]


@api.get("/stats", response={200: dict[str, Any], **_RESPONSES}, tags=["stats"], summary="统计（按可见范围）")
def stats(request: HttpRequest) -> dict[str, Any]:
    user = need(request, "stats:read")
    # Aggregates only (no appeal, no person): district-wide within the service user's role, as the scope says.
    return cockpit_stats(visible_to(user))


# 小惠 answers and material pre-checks live in minyi.assistant; the API only mounts them.
from minyi.assistant.api import router as assistant_router  # noqa: E402

api.add_router("/assistant", assistant_router)
