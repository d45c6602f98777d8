import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from minyi.appeals.demo import seed_demo
from minyi.core.production import refuse_in_production


class Command(BaseCommand):
    help = "生成演示数据：各角色账号与覆盖全部流程状态的诉求 / Seed deterministic demo appeals"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appeals", type=int, default=3000, help="number of appeals (default 3000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, same appeals")
        parser.add_argument("--anchor", help="ISO datetime the demo ends at (default: midnight today, Asia/Shanghai)")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("seed-demo")
        n = options["appeals"]
        if n < 0 or n > 5_000_000:
            raise CommandError("--appeals must be between 0 and 5000000")
        anchor = None
        if options["anchor"]:
            try:
                anchor = dt.datetime.fromisoformat(options["anchor"])
            except ValueError as exc:
                raise CommandError(f"--anchor: {exc}") from exc
            if anchor.tzinfo is None:
                raise CommandError("--anchor needs a time zone offset, e.g. 2026-11-20T00:00+08:00")
        with tqdm(total=n, desc="seed-demo", unit="appeal", disable=n < 200 or not self.stdout.isatty()) as bar:
            seed_demo(n, options["seed"], anchor=anchor, progress=lambda i: bar.update(1))
        self.stdout.write(self.style.SUCCESS(f"seeded {n} appeals (seed {options['seed']})"))
