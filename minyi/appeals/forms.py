"""Forms: they parse and validate input; the actions in services.py do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minyi.appeals.models import CallbackMethod, Kind, Priority, Satisfaction, SubmitterType
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.workflow.machine import Event


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class IntakeForm(forms.Form):
    channel = forms.ModelChoiceField(Channel.objects.filter(active=True), label=_("来源渠道"), empty_label=None)
    kind = forms.ChoiceField(choices=Kind.choices, label=_("诉求类型"), initial=Kind.COMPLAINT)
    priority = forms.ChoiceField(choices=Priority.choices, label=_("紧急程度"), initial=Priority.NORMAL)
    submitter_type = forms.ChoiceField(choices=SubmitterType.choices, label=_("诉求人类型"), initial=SubmitterType.PERSON)
    submitter_name = forms.CharField(label=_("诉求人/企业名称"), max_length=80, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    title = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 6}))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    grid = forms.ModelChoiceField(GridCell.objects.select_related("parent"), label=_("网格（街道/社区）"), required=False, empty_label=_("（未确定）"))
    category = forms.ModelChoiceField(Category.objects.filter(active=True), label=_("分类"), required=False, empty_label=_("（待派单时确定）"))
    # Coordinates come from a map pick or an integration, never typed by an operator on a call:
    # the place is recognised from the text and the address (the grid's names and aliases).
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    # Call-taking order: who is calling, what it is about, where, then classification.
    field_order = [
        "phone", "submitter_name", "title", "content", "kind", "priority", "address", "grid",
        "channel", "category", "submitter_type", "credit_code", "lat", "lng",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"autofocus": True, "inputmode": "tel", "autocomplete": "off"})


# Which inputs each event asks for. ``callback`` stands for CLOSE/REOPEN, decided by the rating.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    Event.ACCEPT: (),
    Event.REJECT: ("reason",),
    Event.CLOSE_DIRECTLY: ("reply",),
    Event.DISPATCH: ("department", "category", "reason"),
    Event.REDISPATCH: ("department", "category", "reason"),
    Event.CLAIM: (),
    Event.RETURN: ("reason", "files"),
    Event.REQUEST_EXTENSION: ("extension_days", "reason", "files"),
    Event.APPROVE_EXTENSION: ("reason",),
    Event.DENY_EXTENSION: ("reason",),
    Event.SUSPEND: ("reason", "files"),
    Event.RESUME: ("reason",),
    Event.REPLY: ("reply", "files"),
    Event.APPROVE_REPLY: ("reason",),
    Event.REJECT_REPLY: ("reason",),
    Event.SUPERVISE: ("reason",),
    "callback": ("method", "satisfaction", "resolved", "comment", "confirm_mixed", "files"),
    Event.MERGE: ("merge_into", "reason"),
    # Accountability (issue 4): 催办/挂牌督办, 退单审核, 差评仲裁, 撤销合并.
    Event.URGE: ("reason",),
    Event.LIST_SUPERVISE: ("reason",),
    Event.APPROVE_RETURN: ("reason",),
    Event.REJECT_RETURN: ("reason",),
    Event.ARBITRATE_REOPEN: ("reason",),
    Event.ARBITRATE_CLOSE: ("reason",),
    Event.UNMERGE: ("reason",),
    Event.FOLLOW_MAIN: ("reply",),
}


class ActionForm(forms.Form):
    reason = forms.CharField(label=_("原因/说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    department = forms.ModelChoiceField(Department.objects.filter(active=True), label=_("承办部门"), required=False, empty_label=_("请选择"))
    category = forms.ModelChoiceField(Category.objects.filter(active=True), label=_("分类"), required=False, empty_label=_("（不变）"))
    reply = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000)
    extension_days = forms.IntegerField(label=_("延期天数（工作日）"), min_value=1, max_value=30, required=False)
    method = forms.ChoiceField(
        label=_("回访方式"), choices=[("", _("请选择")), *[(v, label) for v, label in CallbackMethod.choices if v != CallbackMethod.ONLINE]], required=False
    )
    # No pre-selected answer: an untouched select must not record 非常不满意 and reopen the appeal.
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), choices=[("", _("请选择")), *Satisfaction.choices], coerce=int, required=False, empty_value=None
    )
    resolved = forms.TypedChoiceField(
        label=_("是否解决"), choices=[("", _("请选择")), ("1", _("已解决")), ("0", _("未解决"))], coerce=lambda v: v == "1", required=False,
        empty_value=None,
    )
    comment = forms.CharField(label=_("评价意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    confirm_mixed = forms.BooleanField(label=_("确认：满意度与解决情况不一致，按群众原话记录"), required=False)
    # The metaclass moves declared fields into base_fields, so this never
    # shadows BaseForm.files at run time; only the stubs see a clash.
    files = MultipleFileField(label=_("附件（JPG/PNG/PDF）"), required=False)  # type: ignore[assignment]
    merge_into = forms.CharField(label=_("合并至（主件编号）"), max_length=24, required=False)

    def __init__(self, *args: Any, event: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        wanted = EVENT_FIELDS[event]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if event in (Event.DISPATCH, Event.REDISPATCH):
            self.fields["department"].required = True
        if event == "callback":
            self.fields["method"].required = True
            self.fields["satisfaction"].required = True
            self.fields["resolved"].required = True
            self.fields["comment"].label = _("回访记录（群众原话、电话录音编号等）")
            self.fields["files"].label = _("回访材料（短信截图、上门照片等，JPG/PNG/PDF）")
        if event == Event.MERGE:
            self.fields["merge_into"].required = True
        if event == Event.REQUEST_EXTENSION:
            self.fields["extension_days"].required = True

    def clean_reply(self) -> str:
        """A reply drafted from a template must not reach the citizen with its blanks (【政策名称】…) unfilled."""
        from minyi.desk.templates import BLANK

        text = str(self.cleaned_data.get("reply") or "")
        blanks = list(dict.fromkeys(BLANK.findall(text)))
        if blanks:
            raise forms.ValidationError(
                _("答复中还有模板待填写处：%(blanks)s。请补全后再提交。"), params={"blanks": "、".join(blanks)}, code="template_blank"
            )
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.event == "callback" and is_contradictory(data.get("satisfaction"), data.get("resolved")) and not data.get("confirm_mixed"):
            raise forms.ValidationError(
                _("“%(rating)s”与“%(resolved)s”相互矛盾。请向群众再确认一次；确属如此，请勾选确认后再提交。"),
                params={
                    "rating": Satisfaction(data["satisfaction"]).label,
                    "resolved": _("已解决") if data["resolved"] else _("未解决"),
                },
                code="contradictory",
            )
        return data


def is_contradictory(satisfaction: int | None, resolved: bool | None) -> bool:
    """不满意 but 已解决, or 满意 but 未解决: possible, but usually a slip of the mouse."""
    if satisfaction is None or resolved is None:
        return False
    unhappy = satisfaction <= Satisfaction.UNSATISFIED
    happy = satisfaction >= Satisfaction.SATISFIED
    return (unhappy and resolved) or (happy and not resolved)


class RaisePriorityForm(forms.Form):
    """提高紧急程度: the select offers only the priorities above the appeal's current one.

    Any known priority parses; whether it is higher is the action's rule
    (``services.raise_priority``), which the view turns into this form's errors.
    """

    priority = forms.ChoiceField(label=_("提高为"), choices=Priority.choices)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, offered: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "raise_priority")
        super().__init__(*args, **kwargs)
        labels = dict(Priority.choices)
        self.fields["priority"].widget = forms.Select(choices=[(p, labels[p]) for p in offered])
