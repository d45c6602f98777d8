"""The security log (安全审计): who did what, when and from where, for 等保2.0 level 3.

Appeal actions are audited on the appeal's own timeline (``workflow.AuditEvent``);
this table records what happens around the data: logins, lockouts, password and role
changes, exports of personal data, reveals of a full phone or ID number, attachment
downloads and admin changes. Rows are insert-only, and each carries a hash chain
(``prev_hash`` → ``row_hash``) so that ``minyi audit verify`` finds any altered row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minyi.workflow.models import ImmutableQuerySet, SealedModel


class SecurityKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账号锁定")
    UNLOCK = "unlock", _("解除锁定")
    PASSWORD_CHANGE = "password_change", _("修改密码")
    PASSWORD_RESET = "password_reset", _("重置密码")
    ROLE_CHANGE = "role_change", _("角色变更")
    OTP_ENROLL = "otp_enroll", _("绑定动态口令")
    OTP_FAILED = "otp_failed", _("动态口令错误")
    EXPORT_PII = "export_pii", _("导出个人信息")
    REVEAL_PII = "reveal_pii", _("查看完整个人信息")
    ATTACHMENT_DOWNLOAD = "attachment_download", _("下载附件")
    ADMIN_CHANGE = "admin_change", _("后台数据变更")
    API_KEY = "api_key", _("接口密钥变更")
    KEY_ROTATE = "key_rotate", _("密钥轮换")
    RETENTION = "retention", _("日志保留清理")
    DENIED = "denied", _("越权访问被拒绝")


class SecurityEventQuerySet(ImmutableQuerySet["SecurityEvent"]):
    pass


class SecurityEvent(SealedModel):
    """One security-relevant event. Never updated; deleted only by the retention job past its age."""

    at = models.DateTimeField("时间", db_index=True)
    kind = models.CharField("事件", max_length=32, choices=SecurityKind.choices)
    # PROTECT, not SET_NULL: nulling the actor would rewrite a sealed row (the database refuses it).
    # An account with a security log is deactivated, never deleted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    ip = models.CharField("来源地址", max_length=45, blank=True)
    user_agent = models.CharField("客户端", max_length=200, blank=True)
    target = models.CharField("对象", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=16, default="ok")
    details = models.JSONField("详情", default=dict, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = "安全日志"
        verbose_name_plural = "安全日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "at"], name="security_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.get_kind_display()} {self.target}"


class ChainAnchor(models.Model):
    """The sealer's bookmark for one audit table: where its hash chain starts and ends.

    Written only by ``minyi.audit.chain`` (sealing) and ``minyi.audit.retention``; ``mac``
    (HMAC-SM3 under the audit key, which never lives in the database) lets ``verify`` tell
    a forged or rolled-back anchor, so deleting the newest rows is found as well.
    """

    table = models.CharField("数据表", max_length=63, unique=True)
    key_id = models.CharField("密钥标识", max_length=16, blank=True)
    base_seq = models.BigIntegerField("链首序号", default=1)
    base_hash = models.CharField("链首前一行摘要", max_length=64, blank=True)
    last_seq = models.BigIntegerField("最后封存序号", default=0)
    last_id = models.BigIntegerField("最后封存行号", default=0)
    last_hash = models.CharField("最后封存摘要", max_length=64, blank=True)
    # PostgreSQL only: rows up to pending_id are final once these transactions have ended.
    pending_id = models.BigIntegerField(null=True, blank=True)
    pending_xids = models.JSONField(default=list, blank=True)
    mac = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField("最近封存时间", null=True, blank=True)

    class Meta:
        verbose_name = "审计链锚点"
        verbose_name_plural = "审计链锚点"

    def __str__(self) -> str:
        return f"{self.table} #{self.base_seq}–{self.last_seq}"
