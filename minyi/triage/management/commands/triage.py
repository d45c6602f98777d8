"""``minyi triage train|eval|predict|duplicates``: the library's CLI, plus the database as a data source.

``minyi triage backfill [--limit N] [--no-progress]`` is ours alone: it stores suggestions on
every appeal waiting for dispatch that has none (a background job that failed, or imports).
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
        if args in (["-h"], ["--help"]):
            self.stdout.write(cli.build_parser().format_help())
            self.stdout.write(
                "\nminyi triage backfill [--limit N] [--no-progress]\n"
                "  为缺少建议的待派单诉求补算建议 / store suggestions on waiting appeals that have none\n"
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
        options = parser.parse_args(argv)
        setup()
        from minyi.triage import tasks

        bar: tqdm[Any] | None = None

        def progress(advance: int, total: int) -> None:
            nonlocal bar
            if options.no_progress:
                return
            if bar is None:
                bar = tqdm(total=total, unit="件", desc="补算建议", file=self.stderr._out)
            bar.update(advance)

        stored = tasks.backfill(limit=options.limit, progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(f"已补算建议 {stored} 件，仍缺 {tasks.missing().count()} 件")
        return 0

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv handles everything
        sys.exit(cli.main(list(args)))
