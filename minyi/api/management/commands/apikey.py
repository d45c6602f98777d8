"""``minyi apikey create --name NAME --scopes SCOPES``: a new key, printed once; ``list``; ``revoke``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.api.keys import create_api_key, forget_keys, parse_scopes
from minyi.api.models import SCOPES, ApiKey
from minyi.audit.signals import record_api_key_event
from minyi.workflow.policy import Role


class Command(BaseCommand):
    help = "管理 API 密钥：create 创建（密钥只显示一次，只保存摘要）、list 列出、revoke 停用"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="创建密钥及其服务账号")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help="逗号或空格分隔：" + ",".join(SCOPES))
        create.add_argument(
            "--role", default="", choices=["", *(r.value for r in Role)],
            help="服务账号角色（默认按权限范围取最小角色：需登记诉求时为 operator，否则无角色）",
        )
        create.add_argument("--department", default="", help="服务账号所属部门编码（默认：operator 为 sjj-12345，否则无）")
        create.add_argument("--rate-limit", type=int, default=120, help="每分钟请求上限（默认 120）")
        create.add_argument("--channel", default="", help="Open311 提交所用渠道编码（默认取 MINYI_OPEN311_CHANNEL）")
        sub.add_parser("list", help="列出密钥")
        revoke = sub.add_parser("revoke", help="停用密钥")
        revoke.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                scopes = parse_scopes(options["scopes"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if ApiKey.objects.filter(name=options["name"]).exists():
                raise CommandError(f"已有名为 {options['name']} 的密钥")
            try:
                key, raw = create_api_key(
                    options["name"], scopes, role=Role(options["role"]) if options["role"] else None,
                    department_code=options["department"] or None, rate_limit=options["rate_limit"], channel_code=options["channel"],
                )
            except Exception as exc:
                raise CommandError(f"创建失败：{exc}") from exc
            self.stdout.write(raw)
            roles = "、".join(sorted(key.user.groups.values_list("name", flat=True))) or "无角色"
            self.stderr.write(f"已创建 {key.name}（服务账号 {key.user.get_username()}，角色 {roles}）。密钥只显示这一次，请妥善保存。")
            self.stderr.write("权限范围：")
            for scope in sorted(key.scope_set()):
                self.stderr.write(f"  {scope}：{SCOPES[scope]}")
            if "pii:read" in key.scope_set():
                self.stderr.write("警告：该密钥带 pii:read，可读取群众的姓名、电话、地址等个人信息。请确认确有必要，并限定使用方。")
            if "appeals:read-all" in key.scope_set():
                self.stderr.write("警告：该密钥带 appeals:read-all，可读取服务账号角色可见的全部诉求，而不只是本密钥登记的。")
        elif action == "list":
            for key in ApiKey.objects.select_related("user"):
                state = "启用" if key.active else "停用"
                self.stdout.write(f"{key.name}\t{key.prefix}\t{key.scopes}\t{key.user.get_username()}\t{key.rate_limit}/分钟\t{state}")
        elif action == "revoke":
            if not ApiKey.objects.filter(name=options["name"]).update(active=False):
                raise CommandError(f"没有名为 {options['name']} 的密钥")
            record_api_key_event(ApiKey.objects.select_related("user").get(name=options["name"]), "revoke")  # update() sends no signal
            forget_keys()  # every process drops its cached copy: the key stops working now
            self.stdout.write(f"已停用 {options['name']}")
