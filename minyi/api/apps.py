from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minyi.api"
    verbose_name = "开放接口"

    def ready(self) -> None:
        from minyi.api import webhooks  # noqa: F401 - connects the audit receiver
