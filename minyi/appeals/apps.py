from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "minyi.appeals"
    verbose_name = "诉求工单"
