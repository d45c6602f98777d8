from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "minyi.cockpit"
    verbose_name = "数字驾驶舱"
