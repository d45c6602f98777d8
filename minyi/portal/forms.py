from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minyi.appeals.forms import MultipleFileField
from minyi.appeals.models import Kind
from minyi.directory.models import GridCell

PORTAL_KINDS = [(k.value, k.label) for k in (Kind.COMPLAINT, Kind.HELP, Kind.CONSULT, Kind.SUGGESTION, Kind.REPORT, Kind.PRAISE)]


class PortalSubmitForm(forms.Form):
    kind = forms.ChoiceField(label=_("诉求类型"), choices=PORTAL_KINDS, initial=Kind.COMPLAINT)
    title = forms.CharField(label=_("标题"), max_length=100, widget=forms.TextInput(attrs={"placeholder": _("一句话说明问题")}))
    content = forms.CharField(label=_("诉求内容"), max_length=3000, widget=forms.Textarea(attrs={"rows": 6}))
    grid = forms.ModelChoiceField(
        GridCell.objects.filter(level=GridCell.Level.COMMUNITY).select_related("parent"), label=_("所在街道/社区"), required=False,
        empty_label=_("（不清楚可不选）"),
    )
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("称呼"), max_length=40, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False, help_text=_("用于查询进度和回访；举报、建议可匿名"))
    photos = MultipleFileField(label=_("照片或材料（最多 5 个，JPG/PNG/PDF，每个不超过 10 MB）"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and data.get("kind") not in (Kind.REPORT, Kind.SUGGESTION):
            self.add_error("phone", _("请填写手机号码，以便查询进度和回访（举报、建议可匿名）"))
        return data


class TrackForm(forms.Form):
    number = forms.CharField(label=_("诉求编号"), max_length=24)
    phone = forms.CharField(label=_("手机号码"), max_length=20)
