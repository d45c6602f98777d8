"""Request and response shapes of /api/v1, and the serialisation of an appeal."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from minyi.appeals.disclosure import masked_contact
from minyi.appeals.models import Appeal
from minyi.core.pii import AppealView
from minyi.triage.pii import mask_pii


def _storable(value: str) -> str:
    """Text the databases can store: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("不能包含空字符 (NUL)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("不是有效的 UTF-8 文本") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class AppealIn(Schema):
    channel: Text = Field("12345", max_length=40, description="来源渠道编码，如 12345、sst、wzxx")
    title: Text = Field(..., max_length=200)
    content: Text = Field(..., max_length=5000)
    kind: Text = Field("complaint", max_length=16, description="consult/help/complaint/report/suggestion/praise")
    priority: Text = Field("normal", max_length=10, description="normal/urgent/critical")
    submitter_type: Text = Field("person", max_length=12, description="person/enterprise")
    submitter_name: Text = Field("", max_length=80)
    credit_code: Text = Field("", max_length=18)
    phone: Text = Field("", max_length=40)
    address: Text = Field("", max_length=200)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    grid: Text | None = Field(None, max_length=40, description="网格编码")
    category: Text | None = Field(None, max_length=40, description="分类编码")


class AppealOut(Schema):
    number: str
    status: str
    status_label: str
    channel: str
    kind: str
    priority: str
    title: str
    content: str
    submitter_type: str
    submitter_name: str
    phone: str
    address: str
    lat: float | None
    lng: float | None
    grid: str | None
    category: str | None
    department: str | None
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    claimed_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    claim_due_at: dt.datetime | None
    reply_due_at: dt.datetime | None
    reply_text: str
    satisfaction: int | None
    resolved: bool | None
    return_count: int
    reopen_count: int
    merged_into: str | None


class AppealPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AppealOut]


class AuditOut(Schema):
    at: dt.datetime
    event: str
    event_label: str
    from_state: str
    to_state: str
    actor: str
    reason: str


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None


class CategoryOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None
    path: str
    default_department: str | None


class DispatchIn(Schema):
    department: Text = Field(..., max_length=40, description="承办部门编码")
    category: Text | None = Field(None, max_length=40)
    reason: Text = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: Text = Field(..., max_length=2000)


class OptionalReasonIn(Schema):
    reason: Text = Field("", max_length=2000)


class ReplyIn(Schema):
    reply: Text = Field(..., max_length=5000)


class ExtendIn(Schema):
    days: int = Field(..., ge=1, le=365, description="延期工作日，1–30 之间会被接受")
    reason: Text = Field(..., max_length=2000)


class RateIn(Schema):
    satisfaction: int = Field(..., ge=1, le=5, description="1 非常不满意 … 5 非常满意")
    resolved: bool
    comment: Text = Field("", max_length=2000)
    method: Literal["", "phone", "sms", "visit", "online"] = Field("", description="回访方式：phone 电话、sms 短信、visit 上门、online 网上评价")


class RaisePriorityIn(Schema):
    priority: Text = Field(..., max_length=10, description="urgent/critical：须高于当前紧急程度（一般 < 紧急 < 特急）")
    reason: Text = Field(..., max_length=2000, description="理由（必填）")


class MergeIn(Schema):
    into: Text = Field(..., max_length=24, description="主件编号")
    reason: Text = Field("", max_length=2000)


def appeal_out(appeal: Appeal, *, pii: bool = False, view: AppealView | None = None) -> dict[str, Any]:
    """The API view of an appeal.

    For an API key: without ``pii`` (see ``minyi.api.access.sees_pii``) personal data is masked:
    contact fields, the address (down to the community), coordinates (to 0.01°) and numbers in
    free text. For a logged-in person, ``view`` is what the pages show them
    (``minyi.core.pii.present``): the phone and numbers in the text masked, the name and house
    number in full only for the roles that act on the appeal; coordinates (no page shows them)
    to 0.01°.
    """
    coarse = masked_contact(appeal)
    if view is not None:
        personal: dict[str, Any] = {
            "submitter_name": view.submitter_name,
            "phone": view.phone,
            "address": view.address,
            "lat": coarse["lat"],
            "lng": coarse["lng"],
        }
        texts = {"title": view.title, "content": view.content, "reply_text": view.reply_text}
    else:
        text = (lambda value: value) if pii else mask_pii
        personal = (
            {
                "submitter_name": appeal.submitter_name,
                "phone": appeal.phone,
                "address": appeal.address,
                "lat": float(appeal.lat) if appeal.lat is not None else None,
                "lng": float(appeal.lng) if appeal.lng is not None else None,
            }
            if pii
            else {k: v for k, v in coarse.items() if k != "credit_code"}
        )
        texts = {"title": text(appeal.title), "content": text(appeal.content), "reply_text": text(appeal.reply_text)}
    return {
        "number": appeal.number,
        "status": appeal.status,
        "status_label": appeal.status_label(),
        "channel": appeal.channel.code,
        "kind": appeal.kind,
        "priority": appeal.priority,
        "title": texts["title"],
        "content": texts["content"],
        "submitter_type": appeal.submitter_type,
        **personal,
        "grid": appeal.grid.code if appeal.grid_id and appeal.grid else None,
        "category": appeal.category.code if appeal.category_id and appeal.category else None,
        "department": appeal.department.code if appeal.department_id and appeal.department else None,
        "created_at": appeal.created_at,
        "accepted_at": appeal.accepted_at,
        "dispatched_at": appeal.dispatched_at,
        "claimed_at": appeal.claimed_at,
        "replied_at": appeal.replied_at,
        "closed_at": appeal.closed_at,
        "claim_due_at": appeal.claim_due_at,
        "reply_due_at": appeal.reply_due_at,
        "reply_text": texts["reply_text"],
        "satisfaction": appeal.satisfaction,
        "resolved": appeal.resolved,
        "return_count": appeal.return_count,
        "reopen_count": appeal.reopen_count,
        "merged_into": appeal.merged_into.number if appeal.merged_into_id and appeal.merged_into else None,
    }
