"""``minyi accounts unlock <username>`` (or ``--ip <address>``): lift a lockout; ``minyi accounts locks`` lists them.

Whoever has the server's shell already holds more than the security admin's rights; with
``--by`` the row names the security admin (and requires that role), without it it says "shell".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.accounts import services


class Command(BaseCommand):
    help = "账号管理：解除登录锁定（须以安全管理员身份执行，记入安全日志）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        unlock = sub.add_parser("unlock", help="解除账号或来源地址的登录锁定")
        unlock.add_argument("username", nargs="?", default="", help="被锁定的用户名")
        unlock.add_argument("--ip", default="", help="被锁定的来源地址")
        unlock.add_argument("--by", default="", help="执行操作的安全管理员用户名（记入安全日志；省略时记为服务器命令行操作）")
        sub.add_parser("locks", help="列出当前被锁定的账号和地址")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "locks":
            for lock in services.locks():
                self.stdout.write(f"{lock.kind}\t{lock.value}\t{lock.failures}\t{lock.last_attempt:%Y-%m-%d %H:%M}")
            return
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"没有名为 {options['by']} 的有效账号。")
        try:
            removed = services.unlock(username=options["username"], ip=options["ip"], by=by, via="shell")
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"已解除锁定：{options['username'] or options['ip']}（清除 {removed} 条失败记录）")
