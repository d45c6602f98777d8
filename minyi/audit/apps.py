from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "minyi.audit"
    verbose_name = "安全审计"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from minyi.audit import guard, signals
        from minyi.audit.chain import reinstall_sqlite_guards

        connection_created.connect(guard.register_sqlite_function, dispatch_uid="minyi.audit.sqlite_function")
        post_migrate.connect(reinstall_sqlite_guards, sender=self, dispatch_uid="minyi.audit.sqlite_guards")
        signals.connect()
