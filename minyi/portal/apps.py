from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "minyi.portal"
    verbose_name = "群众门户"
