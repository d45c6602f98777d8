from django.apps import AppConfig


class ReplyQcConfig(AppConfig):
    name = "minyi.replyqc"
    verbose_name = "答复质检"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from minyi.replyqc import hooks
        from minyi.workflow import services as wf

        if hooks.on_transition not in wf.AFTER_TRANSITION:
            wf.AFTER_TRANSITION.append(hooks.on_transition)
        if hooks.audit_note not in wf.AUDIT_NOTES:
            wf.AUDIT_NOTES.append(hooks.audit_note)
