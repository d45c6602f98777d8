"""``minyi webhooks deliver [--loop]``; ``add``, ``list``, ``dead``, ``retry``."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.api import webhooks
from minyi.api.models import WEBHOOK_EVENTS, Delivery, Webhook


class Command(BaseCommand):
    help = "出站 Webhook：deliver 投递到期的事件（失败按退避重试，超过次数进入死信），add/list/dead/retry"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="投递到期的事件")
        deliver.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒投递一次")
        deliver.add_argument("--interval", type=float, default=10.0)
        deliver.add_argument("--timeout", type=float, default=5.0, help="单次请求超时（秒）")
        add = sub.add_parser("add", help="新增订阅（未给 --secret 时生成并显示一次）")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True)
        add.add_argument("--events", default=",".join(WEBHOOK_EVENTS), help="逗号分隔：" + ",".join(WEBHOOK_EVENTS))
        add.add_argument("--secret", default="")
        sub.add_parser("list", help="列出订阅")
        sub.add_parser("dead", help="列出死信")
        sub.add_parser("retry", help="把全部死信重新排队")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "deliver":
            while True:
                result = webhooks.deliver_due(timeout=options["timeout"])
                self.stdout.write(f"投递成功 {result.delivered}，待重试 {result.failed}，死信 {result.dead}")
                if not options["loop"]:
                    return
                time.sleep(options["interval"])
        elif action == "add":
            events = [e.strip() for e in options["events"].replace(" ", ",").split(",") if e.strip()]
            unknown = [e for e in events if e not in WEBHOOK_EVENTS]
            if unknown or not events:
                raise CommandError(f"未知事件：{', '.join(unknown)}；可选：{', '.join(WEBHOOK_EVENTS)}")
            secret = options["secret"] or secrets.token_urlsafe(32)
            hook = Webhook.objects.create(name=options["name"], url=options["url"], secret=secret, events=" ".join(events))
            self.stdout.write(f"已添加 {hook}；签名密钥：{secret}")
        elif action == "list":
            for hook in Webhook.objects.all():
                self.stdout.write(f"{hook.pk}\t{hook.name}\t{hook.url}\t{hook.events}\t{'启用' if hook.active else '停用'}")
        elif action == "dead":
            for d in Delivery.objects.filter(status=Delivery.Status.DEAD).select_related("webhook"):
                self.stdout.write(f"{d.pk}\t{d.event}\t{d.appeal_number}\t{d.webhook.name}\t{d.attempts} 次\t{d.last_error}")
        elif action == "retry":
            self.stdout.write(f"已重新排队 {webhooks.retry(Delivery.objects.all())} 条")
