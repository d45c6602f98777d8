from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "minyi.assistant"
    verbose_name = "智能助手小惠"
