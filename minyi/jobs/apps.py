from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "minyi.jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from minyi.jobs import registry

        registry.autodiscover()  # each app's jobs.py declares its handlers and its periodic work
