"""``minyi triage train|eval|predict|duplicates``: the library's CLI, plus the database as a data source."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from minyi.triage import cli


class Command(BaseCommand):
    help = "智能派单：训练、评估、预测、查重 / AI dispatch: train, eval, predict, duplicates (see `minyi triage --help`)"

    def run_from_argv(self, argv: list[str]) -> None:
        args = list(argv[2:])
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

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv handles everything
        sys.exit(cli.main(list(args)))
