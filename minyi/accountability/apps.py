from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "minyi.accountability"
    verbose_name = "督办问责"
