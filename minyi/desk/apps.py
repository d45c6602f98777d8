from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "minyi.desk"
    verbose_name = "工作台"
