from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minyi.api"
    verbose_name = "开放接口"
