"""The knowledge base of 小惠 and what it learns from the loop.

* ``Industry`` — the 13 industry categories cards are filed under.
* ``Card`` — a 政策明白卡 (policy card) or an item of the 产品服务清单 (product/service list).
* ``Faq`` — a question with its answer; harvested ones start as candidates for review.
* ``PastReply`` — a well-rated closed appeal and how it was answered (draft replies).
* ``Synonym`` — colloquial term → canonical term (电瓶车 → 电动自行车), admin-extensible.
* ``AskLog`` — every answer given, with the engine that produced it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class Audience(models.TextChoices):
    PERSON = "person", "个人"
    ENTERPRISE = "enterprise", "企业"
    ALL = "all", "个人和企业"


class Industry(models.Model):
    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "行业类别"
        verbose_name_plural = "行业类别"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class CardQuerySet(models.QuerySet["Card"]):
    def servable(self, today: dt.date) -> CardQuerySet:
        """Published, already in force and not expired on ``today``: the only cards ever served."""
        return self.filter(published=True).filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=today),
            Q(expires_on__isnull=True) | Q(expires_on__gt=today),
        )


class Card(models.Model):
    class Kind(models.TextChoices):
        POLICY = "policy", "政策明白卡"
        SERVICE = "service", "产品服务清单"

    slug = models.SlugField("编码", max_length=60, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.POLICY)
    title = models.CharField("标题", max_length=120)
    industry = models.ForeignKey(Industry, verbose_name="行业类别", null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    audience = models.CharField("适用对象", max_length=12, choices=Audience.choices, default=Audience.ALL)
    summary = models.TextField("简介", blank=True)
    conditions = models.TextField("申请条件", blank=True)
    materials = models.JSONField(
        "一次性告知材料清单",
        default=list,
        blank=True,
        help_text='列表，每项：{"name": "居民身份证", "required": true, "note": "原件", "keywords": ["身份证"]}',
    )
    procedure = models.TextField("办理流程", blank=True)
    time_limit = models.TextField("办理时限", blank=True)
    fees = models.TextField("收费标准", blank=True)
    office = models.CharField("办理机构", max_length=120, blank=True)
    address = models.CharField("办理地址", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=60, blank=True)
    source_document = models.CharField("政策依据", max_length=300, blank=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    expires_on = models.DateField("失效日期", null=True, blank=True, help_text="当日起不再提供")
    published = models.BooleanField("发布", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CardQuerySet.as_manager()

    class Meta:
        verbose_name = "政策明白卡/产品服务"
        verbose_name_plural = "政策明白卡/产品服务"
        ordering = ["industry__sort", "slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assistant:card", args=[self.slug])

    def is_servable(self, today: dt.date) -> bool:
        return self.published and (self.effective_from is None or self.effective_from <= today) and (self.expires_on is None or self.expires_on > today)

    def material_items(self) -> list[dict[str, Any]]:
        return [m if isinstance(m, dict) else {"name": str(m), "required": True} for m in (self.materials or [])]


class FaqQuerySet(models.QuerySet["Faq"]):
    def servable(self, today: dt.date) -> FaqQuerySet:
        return self.filter(status=Faq.Status.PUBLISHED).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))


class Faq(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", "待审核"
        PUBLISHED = "published", "已发布"
        REJECTED = "rejected", "不采用"

    slug = models.SlugField("编码", max_length=60, unique=True)
    question = models.CharField("问题", max_length=200)
    alt_questions = models.TextField("相似问法", blank=True, help_text="每行一个")
    answer = models.TextField("答案")
    industry = models.ForeignKey(Industry, verbose_name="行业类别", null=True, blank=True, on_delete=models.SET_NULL, related_name="faqs")
    card = models.ForeignKey(Card, verbose_name="关联明白卡", null=True, blank=True, on_delete=models.SET_NULL, related_name="faqs")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True)
    source_appeal = models.OneToOneField("appeals.Appeal", verbose_name="来源工单", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_on = models.DateField("失效日期", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = FaqQuerySet.as_manager()

    class Meta:
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assistant:faq", args=[self.slug])


class PastReply(models.Model):
    """A closed, well-rated appeal kept as an example answer. Personal data is masked on harvest."""

    appeal = models.OneToOneField("appeals.Appeal", verbose_name="工单", on_delete=models.CASCADE, related_name="+")
    number = models.CharField("编号", max_length=24, db_index=True)
    title = models.CharField("标题", max_length=200)
    content = models.TextField("诉求内容（已脱敏）")
    reply_text = models.TextField("答复内容")
    category_name = models.CharField("分类", max_length=200, blank=True)
    department_name = models.CharField("承办部门", max_length=80, blank=True)
    satisfaction = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Dense vectors (float32 × 384, assistant/dense.py), filled in the background by `minyi assistant
    # embed`; written with QuerySet.update so the row's updated_at (and the live index) is untouched.
    appeal_vector = models.BinaryField("诉求向量", null=True, editable=False)
    reply_vector = models.BinaryField("答复向量", null=True, editable=False)

    class Meta:
        verbose_name = "优秀答复"
        verbose_name_plural = "优秀答复"
        ordering = ["-closed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Synonym(models.Model):
    term = models.CharField("俗称/同义词", max_length=40, unique=True)
    canonical = models.CharField("规范用语", max_length=40)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "同义词"
        verbose_name_plural = "同义词"
        ordering = ["canonical", "term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.canonical}"


class AskLog(models.Model):
    question = models.TextField("问题")
    engine = models.CharField("答案引擎", max_length=20)
    found = models.BooleanField("知识库有答案")
    answer = models.TextField("答案", blank=True)
    citations = models.JSONField("引用", default=list, blank=True)
    fallback_reason = models.CharField("回退原因", max_length=200, blank=True)
    where = models.CharField("入口", max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提问人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "问答记录"
        verbose_name_plural = "问答记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.question[:40]
