"""``minyi keys status`` and ``minyi keys rotate [--batch-size N]``: the SM4 keys of encrypted personal data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from minyi.core import services
from minyi.core.crypto import PiiCryptoError, keyring


class Command(BaseCommand):
    help = "个人信息加密密钥（SM4）：status 查看每个密钥加密的行数；rotate 用当前密钥重新加密并重算盲索引"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="每个加密字段按密钥编号统计行数")
        rotate = sub.add_parser("rotate", help="用当前密钥（编号最大）重新加密全部旧密文，可中断后重跑续做")
        rotate.add_argument("--batch-size", type=int, default=1000, help="每个事务处理的行数")
        rotate.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self.status()
        else:
            self.rotate(options["batch_size"], progress=not options["no_progress"])

    def status(self) -> None:
        ring = keyring()
        self.stdout.write(f"当前加密密钥：{ring.current_id}；可解密的密钥：{', '.join(str(k) for k in sorted(ring.keys))}")
        for column in services.key_status():
            self.stdout.write(f"{column.label}：")
            for kid, rows in sorted(column.by_key.items()):
                name = "明文或无法识别" if kid == services.UNRECOGNISED else f"密钥 {kid}"
                mark = "（当前）" if kid == str(ring.current_id) else ("（未配置，无法解密）" if kid.isdigit() and int(kid) not in ring.keys else "")
                self.stdout.write(f"  {name}{mark}：{rows} 行")
            for kid, rows in sorted(column.index_by_key.items()):
                self.stdout.write(f"  盲索引 {'无法识别' if kid == services.UNRECOGNISED else '密钥 ' + kid}：{rows} 行")
            self.stdout.write(f"  待轮换：{column.stale} 行")

    def rotate(self, batch_size: int, *, progress: bool) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size 至少为 1")
        bar: tqdm[Any] | None = None

        def start(label: str, total: int) -> None:
            nonlocal bar
            if bar is not None:
                bar.close()
            bar = tqdm(total=total, unit="行", desc=f"轮换 {label}", file=self.stderr._out, disable=not progress)

        def advance(rows: int) -> None:
            if bar is not None:
                bar.update(rows)

        try:
            result = services.rotate_keys(batch_size=batch_size, on_start=start, on_batch=advance)
        except PiiCryptoError as exc:
            raise CommandError(f"{exc}。已完成的批次已提交；配置好密钥后重新运行即可从中断处继续。") from exc
        finally:
            if bar is not None:
                bar.close()
        for label, rows in result.rows.items():
            self.stdout.write(f"{label}：{rows} 行已用密钥 {result.current} 重新加密")
