"""``minyi triage train|eval|predict|duplicates``: the library's CLI, plus the database as a data source.

``minyi triage backfill [--limit N] [--no-progress] [--auto-dispatch]`` is ours alone: it stores
suggestions on every appeal waiting for dispatch that has none (a background job that failed,
or imports). It dispatches nothing unless ``--auto-dispatch`` is given (and ``MINYI_AUTO_DISPATCH``
is on): historical imports wait for a dispatcher.
``minyi triage quality [--days N] [--json]`` measures the AI dispatch on live appeals
(``minyi.triage.quality``, docs/triage-quality.md).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from minyi.triage import cli


class Command(BaseCommand):
    help = "智能派单：训练、评估、预测、查重、补算建议 / AI dispatch: train, eval, predict, duplicates, backfill (see `minyi triage --help`)"

    def run_from_argv(self, argv: list[str]) -> None:
        args = list(argv[2:])
        if args and args[0] == "backfill":
            sys.exit(self.backfill(args[1:]))
        if args and args[0] == "quality":
            sys.exit(self.quality(args[1:]))
        if args in (["-h"], ["--help"]):
            self.stdout.write(cli.build_parser().format_help())
            self.stdout.write(
                "\nminyi triage backfill [--limit N] [--no-progress] [--auto-dispatch]\n"
                "  为缺少建议的待派单诉求补算建议 / store suggestions on waiting appeals that have none\n"
                "  --auto-dispatch：置信度高的同时自动派单（另需 MINYI_AUTO_DISPATCH=1）/ also auto-dispatch confident ones\n"
                "minyi triage quality [--days N] [--json]\n"
                "  智能派单的实测质量（覆盖率、一致率、高置信准确率）/ live quality of AI dispatch (docs/triage-quality.md)\n"
                "minyi triage train --from-db ...\n"
                "  另用数据库中的派单纠正作训练样本 / also learn from dispatchers' corrections in the database\n"
            )
            sys.exit(0)
        from_db = "--from-db" in args
        if from_db:
            args.remove("--from-db")
        if args and args[0] == "train" and "--out" not in args:
            args += ["--out", str(settings.MINYI_TRIAGE_MODEL)]
        if args and args[0] == "predict" and "--model" not in args:
            args += ["--model", str(settings.MINYI_TRIAGE_MODEL)]
        self.stdout.ending = ""  # the library prints whole lines itself
        extra = None
        if from_db:
            from django import setup

            setup()
            from minyi.triage.integration import examples_from_db

            extra = examples_from_db()
            self.stdout.write(f"数据库样本 examples from the database: {len(extra)}")
        # OutputWrapper is file-like; the library only calls write().
        sys.exit(cli.main(args, extra_examples=extra, stdout=self.stdout, stderr=self.stderr))  # type: ignore[arg-type]

    def backfill(self, argv: list[str]) -> int:
        from django import setup
        from tqdm import tqdm

        parser = argparse.ArgumentParser(prog="minyi triage backfill", description="为缺少智能派单建议的待派单诉求补算建议（可重复执行）")
        parser.add_argument("--limit", type=int, default=None, help="最多处理的件数（默认全部）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--auto-dispatch", action="store_true",
            help="置信度高于阈值的诉求同时自动派单（另需 MINYI_AUTO_DISPATCH=1）；默认只存建议、提高紧急程度，不派单",
        )
        options = parser.parse_args(argv)
        setup()
        from minyi.triage import tasks

        if options.auto_dispatch and not settings.MINYI_AUTO_DISPATCH:
            self.stderr.write("MINYI_AUTO_DISPATCH 未开启：--auto-dispatch 不起作用，只补算建议 / MINYI_AUTO_DISPATCH is off: nothing is dispatched")

        bar: tqdm[Any] | None = None

        def progress(advance: int, total: int) -> None:
            nonlocal bar
            if options.no_progress:
                return
            if bar is None:
                bar = tqdm(total=total, unit="件", desc="补算建议", file=self.stderr._out)
            bar.update(advance)

        stored = tasks.backfill(limit=options.limit, progress=progress, auto_dispatch=options.auto_dispatch)
        if bar is not None:
            bar.close()
        self.stdout.write(f"已补算建议 {stored} 件，仍缺 {tasks.missing().count()} 件")
        return 0

    def quality(self, argv: list[str]) -> int:
        from django import setup

        setup()
        from minyi.triage import quality_cli

        return quality_cli.main(argv, stdout=self.stdout, stderr=self.stderr)

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv handles everything
        sys.exit(cli.main(list(args)))
