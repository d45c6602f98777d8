from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "minyi.audit"
    verbose_name = "安全审计"
