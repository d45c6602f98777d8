from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DirectoryConfig(AppConfig):
    name = "minyi.directory"
    verbose_name = "组织与目录"

    def ready(self) -> None:
        from minyi.directory.signals import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
