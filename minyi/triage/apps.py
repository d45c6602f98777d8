from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "minyi.triage"
    verbose_name = "智能派单"

    def ready(self) -> None:
        from minyi.triage import integration

        integration.connect()
