from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "minyi.accounts"
    verbose_name = "账号与身份鉴别"

    def ready(self) -> None:
        from minyi.accounts import signals
        from minyi.accounts.permissions import grant_role_permissions

        signals.connect()
        post_migrate.connect(grant_role_permissions, sender=self)
