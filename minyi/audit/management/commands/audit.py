"""``minyi audit seal|verify|retention``: the tamper-evident audit chains (docs/security.md, 安全审计)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.audit import chain, retention
from minyi.audit.verify import verify


class Command(BaseCommand):
    help = "安全审计：seal 封存新增审计记录（哈希链），verify 校验全部审计链，retention 清理超过保存期限的安全日志"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="封存尚未封存的审计记录（HMAC-SM3 哈希链）")
        check = sub.add_parser("verify", help="重算全部审计链；发现改动、删除或插入时退出码为 1")
        check.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        check.add_argument("--no-seal", action="store_true", help="校验前不先封存新记录")
        keep = sub.add_parser("retention", help="删除超过保存期限（MINYI_SECURITY_LOG_RETENTION_DAYS，至少 180 天）的安全日志")
        keep.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            try:
                counts = chain.seal_all()
            except chain.SealRefused as exc:
                raise CommandError(exc.reason) from exc
            self.stdout.write("已封存 " + "，".join(f"{table} {n} 行" for table, n in counts.items()))
        elif action == "verify":
            report = verify(seal=not options["no_seal"])
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            elif report.ok:
                self.stdout.write(report.summary())
            else:
                for finding in report.findings:
                    self.stdout.write(finding.message)
            if not report.ok:
                raise CommandError(f"审计链校验发现 {len(report.findings)} 处问题。", returncode=1)
        else:
            result = retention.apply_retention()
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            else:
                self.stdout.write(f"安全日志保存 {result.days} 天：删除 {result.cutoff:%Y-%m-%d %H:%M} 之前的 {result.deleted} 行。")
