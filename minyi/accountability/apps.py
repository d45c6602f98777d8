from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "minyi.accountability"
    verbose_name = "督办问责"

    def ready(self) -> None:
        from minyi.accountability import hooks, notifications, scheduler
        from minyi.core import notify
        from minyi.workflow import services as wf

        if hooks.on_transition not in wf.AFTER_TRANSITION:
            wf.AFTER_TRANSITION.append(hooks.on_transition)
        if notifications.store_in_app not in notify.SINKS:
            notify.SINKS.append(notifications.store_in_app)
        scheduler.maybe_start_from_environment()
