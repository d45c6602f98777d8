"""Forms of the topic and event pages: they parse input; the actions in ``topics`` decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minyi.accountability.models import AnnualTopic, Engagement, Enterprise
from minyi.directory.models import Department
from minyi.workflow.policy import Role


class IsoDateInput(forms.DateInput):
    """<input type=date> only accepts ISO dates; the zh-hans input format (2026/10/27) would show as empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PersonField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("请选择"))  # never Django's "---------" on a Chinese page
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


def _staff(role: Role | None = None, keep: Any = None) -> Any:
    """Active staff (with a role's group if given); ``keep`` stays selectable so an edit never loses the current value."""
    wanted = Q(is_active=True, staff__isnull=False)
    if role is not None:
        wanted &= Q(groups__name=role.value)
    if keep is not None:
        wanted |= Q(pk=keep)
    return get_user_model().objects.filter(wanted).distinct().order_by("username")


class TopicForm(forms.Form):
    title = forms.CharField(label=_("专题名称"), max_length=160)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000)
    department = forms.ModelChoiceField(label=_("牵头单位"), queryset=Department.objects.none(), required=False, empty_label=_("（不指定）"))
    owner = PersonField(label=_("责任人"), queryset=get_user_model().objects.none())
    leader = PersonField(label=_("包案领导"), queryset=get_user_model().objects.none(), help_text=_("销号须由包案领导签批"))

    def __init__(self, *args: Any, owner_id: int | None = None, leader_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["department"].queryset = Department.objects.order_by("code")
        fields["owner"].queryset = _staff(keep=owner_id)
        fields["leader"].queryset = _staff(Role.LEADER, keep=leader_id)


class NewTopicForm(TopicForm):
    milestones = forms.CharField(
        label=_("节点（每行一个，可写“节点名称 2026-12-31”）"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )

    def clean_milestones(self) -> list[tuple[str, Any]]:
        steps: list[tuple[str, Any]] = []
        field = forms.DateField()
        for raw in str(self.cleaned_data.get("milestones", "")).splitlines():
            line = raw.strip()
            if not line:
                continue
            name, _sep, tail = line.rpartition(" ")
            due = None
            if name.strip() and tail:
                try:
                    due = field.clean(tail)
                except forms.ValidationError:
                    name = line
            else:
                name = line
            if len(name.strip()) < 2:
                raise forms.ValidationError(_("节点名称至少两个字：%(line)s") % {"line": line})
            steps.append((name.strip(), due))
        return steps


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), max_length=160)
    due_on = forms.DateField(label=_("计划完成"), required=False, widget=IsoDateInput())


class AppealNumberForm(forms.Form):
    number = forms.CharField(label=_("诉求编号"), max_length=24)


class EngagementForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Engagement.Kind.choices)
    date = forms.DateField(label=_("日期"), widget=IsoDateInput())
    topic = forms.ModelChoiceField(label=_("主题（年度主题清单）"), queryset=AnnualTopic.objects.none(), empty_label=_("请选择"))
    host = forms.CharField(label=_("主持/出席领导"), max_length=80, required=False)
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    enterprises = forms.ModelMultipleChoiceField(label=_("受邀企业"), queryset=Enterprise.objects.none(), required=False)
    notes = forms.CharField(label=_("纪要"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["topic"].queryset = AnnualTopic.objects.all()
        fields["enterprises"].queryset = Enterprise.objects.all()
