from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "minyi.assistant"
    verbose_name = "智能助手小惠"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from minyi.assistant import models, services

        # Edits in this process drop the cached indexes at once; other processes notice the
        # changed (count, last update) stamps on their next question.
        for model in (models.Card, models.Faq, models.Synonym, models.PastReply):
            post_save.connect(services.on_kb_change, sender=model, dispatch_uid=f"assistant-kb-{model.__name__}")
            post_delete.connect(services.on_kb_change, sender=model, dispatch_uid=f"assistant-kb-del-{model.__name__}")
