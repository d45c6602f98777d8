"""``minyi import FILE.xlsx|FILE.csv --mapping MAPPING.toml [--dry-run]``: bulk import of 12345 exports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from minyi.api.importer import Mapping, Report, run_import, validate
from minyi.api.importfile import ImportFileError
from minyi.workflow.services import SYSTEM


class Command(BaseCommand):
    help = "导入 12345 工单导出文件（CSV/XLSX）；--dry-run 只校验并写出报告，不改动数据库。重复导入同一文件不会新增。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument("--mapping", required=True, help="列映射 TOML，例如 examples/mappings/teddycup.toml")
        parser.add_argument("--dry-run", action="store_true", help="只校验，写出校验报告")
        parser.add_argument("--encoding", help="文件编码，覆盖映射文件的 encoding：auto（UTF-8，否则 GB18030）、utf-8、gb18030、gbk …")
        parser.add_argument("--report", help="校验报告 JSON 的路径（默认写到 MINYI_VAR_DIR/imports/）")
        parser.add_argument("--batch-size", type=int, default=1000, help="每个事务的行数（默认 1000）")
        parser.add_argument("--as-user", help="记为操作人的用户名（默认：系统）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            mapping = Mapping.load(options["mapping"])
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        if options["encoding"]:
            mapping = dataclasses.replace(mapping, encoding=options["encoding"])
        by: Any = SYSTEM
        if options["as_user"]:
            try:
                by = get_user_model().objects.get(username=options["as_user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"用户 {options['as_user']} 不存在") from None
        if options["dry_run"]:
            report, _ = validate(path, mapping)
            self._write_report(report, options["report"], path)
            if not report.ok:
                raise CommandError(f"校验未通过：{report.fatal}" if report.fatal else "校验未通过")
            return
        bar: tqdm[Any] | None = None

        def progress(advance: int, total: int) -> None:
            nonlocal bar
            if options["no_progress"]:
                return
            if bar is None:
                bar = tqdm(total=total, unit="行", desc=f"导入 {path.name}", file=self.stderr._out)
            bar.update(advance)

        outcome = run_import(path, mapping, by=by, batch_size=options["batch_size"], progress=progress)
        if bar is not None:
            bar.close()
        report = outcome.report
        if not report.ok:
            self._write_report(report, options["report"], path)
            raise CommandError(f"校验未通过，未导入任何数据：{report.fatal}" if report.fatal else "校验未通过，未导入任何数据")
        if options["report"]:
            self._write_report(report, options["report"], path)
        self.stdout.write(f"新建 {outcome.created}，跳过（已导入或重复）{outcome.skipped}，空行 {report.empty_rows}")

    def _write_report(self, report: Report, target: str | None, source: Path) -> None:
        if target:
            out = Path(target)
        else:
            folder = Path(settings.VAR_DIR) / "imports"
            out = folder / f"{source.stem}-{timezone.now():%Y%m%d-%H%M%S}.report.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        self.stdout.write(report.summary())
        self.stdout.write(f"校验报告：{out}")
