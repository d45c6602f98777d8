"""建议提案: a 人大建议/议案 or 政协提案, riding one-to-one on an appeal of channel 人大建议 or 政协提案.

The appeal carries the loop (交办 = dispatch to the 主办 unit, claim, reply, review, the proposer's
rating, 重办) through the workflow's actions; this app keeps what a proposal adds: the proposer, the
协办 units and their opinions, the 面商 record and the 答复函 with its A/B/C classification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minyi.appeals.models import Appeal
from minyi.core.crypto import EncryptedCharField
from minyi.directory.models import Department


class Kind(models.TextChoices):
    NPC_SUGGESTION = "npc_suggestion", _("人大建议")
    NPC_MOTION = "npc_motion", _("人大议案")
    CPPCC_PROPOSAL = "cppcc_proposal", _("政协提案")


NPC_KINDS = frozenset({Kind.NPC_SUGGESTION, Kind.NPC_MOTION})
# The appeal channel a kind rides on (``directory.defaults.CHANNELS``).
CHANNEL_OF = {Kind.NPC_SUGGESTION: "rdjy", Kind.NPC_MOTION: "rdjy", Kind.CPPCC_PROPOSAL: "zxta"}


class Classification(models.TextChoices):
    A = "A", _("A 已解决或采纳")
    B = "B", _("B 正在解决或列入计划")
    C = "C", _("C 因条件限制留作参考")


class ProposerSatisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# The appeal's 1-5 rating for each answer (``appeals.models.Satisfaction``): 满意 4, 基本满意 3, 不满意 2.
RATING_OF = {ProposerSatisfaction.SATISFIED: 4, ProposerSatisfaction.BASIC: 3, ProposerSatisfaction.UNSATISFIED: 2}


def satisfaction_of(rating: int | None) -> ProposerSatisfaction | None:
    if rating is None:
        return None
    if rating >= 4:
        return ProposerSatisfaction.SATISFIED
    return ProposerSatisfaction.BASIC if rating == 3 else ProposerSatisfaction.UNSATISFIED


class Proposal(models.Model):
    appeal = models.OneToOneField(Appeal, verbose_name="诉求工单", on_delete=models.PROTECT, related_name="proposal")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("编号", help_text="当年该类别的序号，如第 12 号")
    session = models.CharField("届次会议", max_length=60, blank=True, help_text="如：区十七届人大三次会议；闭会期间留空")

    proposer_name = models.CharField("领衔代表/委员", max_length=40)
    proposer_group = models.CharField("代表团/界别", max_length=60)
    co_signers = models.PositiveSmallIntegerField("附议人数", default=0)
    # Encrypted at rest like every phone (SM4-GCM); shown masked to roles without the permission.
    proposer_phone = EncryptedCharField("联系电话", max_length=20, blank=True)

    assigned_on = models.DateField("交办日期", null=True, blank=True, help_text="交办会议的日期；答复时限从这天起算三个月")

    classification = models.CharField("答复类别", max_length=1, choices=Classification.choices, blank=True)
    letter_body = models.TextField("答复函正文", blank=True)
    letter_contact = models.CharField("联系人及电话", max_length=80, blank=True)
    letter_signed_on = models.DateField("落款日期", null=True, blank=True)
    letter_count = models.PositiveSmallIntegerField("答复次数", default=0, editable=False)

    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "建议提案"
        verbose_name_plural = "建议提案"
        ordering = ["-year", "kind", "number"]
        constraints = [models.UniqueConstraint(fields=["kind", "year", "number"], name="proposal_unique_number")]
        indexes = [models.Index(fields=["year", "kind"], name="proposal_year_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}第{self.number}号"

    @property
    def is_npc(self) -> bool:
        return self.kind in NPC_KINDS

    @property
    def label(self) -> str:
        return f"{self.year}年{self.get_kind_display()}第{self.number}号"

    @property
    def satisfaction(self) -> ProposerSatisfaction | None:
        """The proposer's latest word on the latest answer (stored as the appeal's rating)."""
        return satisfaction_of(self.appeal.satisfaction) if self.appeal.satisfaction is not None else None


class CoHandler(models.Model):
    """A 协办 unit and its one opinion to the 主办 unit."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="co_handlers")
    department = models.ForeignKey(Department, verbose_name="协办单位", on_delete=models.PROTECT, related_name="+")
    opinion = models.TextField("协办意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "协办单位"
        verbose_name_plural = "协办单位"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["proposal", "department"], name="cohandler_unique_unit")]

    def __str__(self) -> str:
        return self.department.name


class Consultation(models.Model):
    """面商: the 主办 unit meets the proposer face to face."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="consultations")
    held_on = models.DateField("面商日期")
    place = models.CharField("地点", max_length=100)
    participants = models.CharField("参加人员", max_length=300)
    summary = models.TextField("面商情况")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "面商记录"
        verbose_name_plural = "面商记录"
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"
