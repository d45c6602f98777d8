"""``minyi exchange status|sync|push|pull|reconcile|import-file|export-file``: operate the links to other platforms."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from minyi.exchange import services
from minyi.exchange.connectors import ConnectorError
from minyi.exchange.models import Peer


class Command(BaseCommand):
    help = "对接上级/下级平台：status 运行情况，sync 推送并拉取，reconcile 核对双方状态，import-file/export-file 文件交换"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "sync", "push", "pull", "reconcile", "import-file", "export-file"])
        parser.add_argument("--peer", help="对接平台编码（默认全部）")
        parser.add_argument("--file", help="import-file / export-file 的 Excel 文件")

    def _peers(self, code: str | None) -> list[Peer]:
        peers = list(Peer.objects.filter(code=code) if code else Peer.objects.filter(active=True))
        if code and not peers:
            raise CommandError(f"没有编码为 {code} 的对接平台")
        return peers

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self._status()
        elif action in ("sync", "push", "pull"):
            failed = False
            for peer in self._peers(options["peer"]):
                if peer.kind != Peer.Kind.MINYI:
                    continue
                try:
                    pushed = pulled = 0
                    if action in ("sync", "push"):
                        with transaction.atomic():
                            pushed = services.push_peer(peer.pk)
                    if action in ("sync", "pull"):
                        pulled = services.pull_peer(peer.pk)
                except ConnectorError as exc:
                    failed = True
                    self.stderr.write(f"{peer.code}: 连接失败（{exc}），事件保留在待送达队列中，稍后自动重试")
                    continue
                self.stdout.write(f"{peer.code}: 推送 {pushed} 条，拉取 {pulled} 条")
            if failed:
                raise CommandError("部分平台连接失败")
        elif action == "reconcile":
            for peer in self._peers(options["peer"]):
                if peer.kind != Peer.Kind.MINYI:
                    continue
                try:
                    found = services.reconcile(peer)
                except ConnectorError as exc:
                    raise CommandError(f"{peer.code}: 连接失败（{exc}）") from exc
                for m in found:
                    self.stdout.write(f"{peer.code}\t{m.order_id}\t本地 {m.local_state}\t对方 {m.remote_state or '—'}\t{m.detail}")
                open_count = services.open_mismatches().filter(peer=peer).count()
                self.stdout.write(f"{peer.code}: 新发现 {len(found)} 件不一致，待处理共 {open_count} 件")
        else:
            self._file(action, options)

    def _status(self) -> None:
        rows = services.status()
        if not rows:
            self.stdout.write("尚未配置对接平台")
            return
        self.stdout.write("平台\t最近拉取\t最近推送\t延迟(秒)\t待送达\t收到事件\t不一致\t错误")
        for s in rows:
            p = s.peer
            pulled = p.last_pull_at.strftime("%m-%d %H:%M:%S") if p.last_pull_at else "—"
            pushed = p.last_push_at.strftime("%m-%d %H:%M:%S") if p.last_push_at else "—"
            error = f"{p.errors} 次，最近：{p.last_error[:60]}" if p.errors else "—"
            self.stdout.write(f"{p.code}\t{pulled}\t{pushed}\t{s.lag_seconds:.0f}\t{s.backlog}\t{s.inbound}\t{s.open_mismatches}\t{error}")

    def _file(self, action: str, options: dict[str, Any]) -> None:
        from minyi.exchange import filefeed

        if not options["peer"] or not options["file"]:
            raise CommandError("请用 --peer 指定对接平台，--file 指定 Excel 文件")
        peer = self._peers(options["peer"])[0]
        if action == "import-file":
            try:
                result = filefeed.import_file(peer, options["file"])
            except filefeed.FileFormatError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"新工单 {result.created} 件，已有 {result.known} 件，不一致 {result.mismatched} 件，无法导入 {len(result.errors)} 行")
            for line in result.errors[:50]:
                self.stdout.write(f"  {line}")
        else:
            count = filefeed.export_file(peer, options["file"])
            self.stdout.write(f"已写出回传文件 {options['file']}：{count} 件")
