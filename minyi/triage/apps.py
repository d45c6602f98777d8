from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "minyi.triage"
    verbose_name = "智能派单"
