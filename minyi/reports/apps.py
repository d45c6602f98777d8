from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "minyi.reports"
    verbose_name = "简报报表"
