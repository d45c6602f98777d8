"""Commands that must never touch a production database: the demo data and its public password."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def refuse_in_production(command: str) -> None:
    """Stop ``command`` with exit status 2 unless the environment asked for debug mode (MINYI_DEBUG=1)."""
    if getattr(settings, "MINYI_PRODUCTION", True):
        message = _(
            "生产环境禁止运行 %(command)s：演示数据和公开的演示密码不能写入生产数据库。"
            "如需在本机体验，请用 make demo，或设置 MINYI_DEBUG=1 并使用单独的数据库。"
        )
        raise CommandError(message % {"command": command}, returncode=2)
