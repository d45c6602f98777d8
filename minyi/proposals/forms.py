"""Forms of the proposals desk: they parse; the actions in ``services`` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minyi.directory.models import Department
from minyi.proposals.models import Classification, Kind, ProposerSatisfaction


def _units() -> Any:
    return Department.objects.filter(kind__in=[Department.Kind.BUREAU, Department.Kind.STREET]).order_by("code")


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    proposer_name = forms.CharField(label=_("领衔代表/委员"), max_length=40)
    proposer_group = forms.CharField(label=_("代表团/界别"), max_length=60)
    proposer_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    co_signers = forms.IntegerField(label=_("附议人数"), min_value=0, max_value=200, initial=0)
    session = forms.CharField(label=_("届次会议"), max_length=60, required=False, help_text=_("如：区十七届人大三次会议；闭会期间留空"))


class AssignForm(forms.Form):
    lead = forms.ModelChoiceField(label=_("主办单位"), queryset=Department.objects.none())
    co_units = forms.ModelMultipleChoiceField(label=_("协办单位"), queryset=Department.objects.none(), required=False)
    assigned_on = forms.DateField(label=_("交办会议日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = _units()  # type: ignore[attr-defined]
        self.fields["co_units"].queryset = _units()  # type: ignore[attr-defined]


class OpinionForm(forms.Form):
    department = forms.ModelChoiceField(label=_("协办单位"), queryset=Department.objects.none())
    opinion = forms.CharField(label=_("协办意见"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = units if units is not None else Department.objects.none()  # type: ignore[attr-defined]


class ConsultationForm(forms.Form):
    held_on = forms.DateField(label=_("面商日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=100)
    participants = forms.CharField(label=_("参加人员"), max_length=300)
    summary = forms.CharField(label=_("面商情况"), widget=forms.Textarea(attrs={"rows": 4}))


class LetterForm(forms.Form):
    classification = forms.ChoiceField(label=_("答复类别"), choices=[("", "——"), *Classification.choices])
    body = forms.CharField(label=_("答复函正文"), widget=forms.Textarea(attrs={"rows": 8}), help_text=_("每段一行；称呼、落款和日期自动生成"))
    contact = forms.CharField(label=_("联系人及电话"), max_length=80, required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=500)


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("代表/委员的意见"), choices=ProposerSatisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("具体意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EmptyForm(forms.Form):
    pass
