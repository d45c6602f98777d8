import argparse
import datetime as dt
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max
from django.utils import timezone

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.appeals.models import Appeal
from minyi.core.production import refuse_in_production
from minyi.directory.defaults import load_defaults

# The demo's dispatch model learns from appeals older than this before the newest one, and is measured on the rest.
HOLDOUT = dt.timedelta(days=30)
# A first start seeds this many appeals: enough for every role's queues, the cockpit, the 专题 and the events, and
# quick enough that a newcomer sees the site within a few minutes (``seed-demo --appeals 3000`` for more).
FIRST_START_APPEALS = 1000


class Command(BaseCommand):
    help = "演示：迁移、载入默认数据、（若为空）生成演示诉求并启动服务；智能派单模型在后台训练 / Migrate, seed if empty, serve"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appeals", type=int, default=FIRST_START_APPEALS, help=f"demo appeals on a first start (default {FIRST_START_APPEALS})")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000; make demo PORT=8080)")
        parser.add_argument("--no-serve", action="store_true", help="set up and print the accounts only (trains the model before returning)")
        parser.add_argument("--model-now", action="store_true", help="train the dispatch model before serving, not in the background")
        parser.add_argument("--model-only", action="store_true", help=argparse.SUPPRESS)  # the background trainer itself

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("demo")  # before migrate: not even the schema goes into a production database
        if options["model_only"]:
            self._install_dispatch_model()
            return
        if not 1 <= options["port"] <= 65535:
            raise CommandError(f"端口 {options['port']} 无效：请用 1–65535 之间的端口，例如 --port 8080")
        call_command("migrate", interactive=False, verbosity=0)
        load_defaults()
        if not Appeal.objects.exists():
            self._archive_old_witness()
            self.stdout.write(f"seeding {options['appeals']} demo appeals …")
            self.stdout.flush()
            call_command("seed-demo", appeals=options["appeals"], seed=7)
        self._prepare_assistant_and_cockpit()
        background = not (options["no_serve"] or options["model_now"]) and self._model_missing()
        if not background:
            self._install_dispatch_model()
        accounts = ensure_demo_accounts()
        self.stdout.write(f"\n演示账号 demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, _password, name in accounts:
            self.stdout.write(f"  {username:<12} {name}")
        self.stdout.write("")
        if options["no_serve"]:
            return
        if background:
            log = self._train_in_background()
            self.stdout.write(f"智能派单模型正在后台训练，完成后自动启用（进度见 {log}）/ the dispatch model is training in the background")
        call_command("serve", host=options["host"], port=options["port"])

    def _model_missing(self) -> bool:
        from pathlib import Path

        from django.conf import settings

        return not Path(settings.MINYI_TRIAGE_MODEL).is_file()

    def _train_in_background(self) -> str:
        """``minyi demo --model-only`` in a low-priority child process: the site answers meanwhile, and every
        process picks the model up when its file appears (``triage.integration.load_model`` watches it)."""
        import shutil
        import subprocess
        from pathlib import Path

        from django.conf import settings

        log = Path(settings.VAR_DIR) / "logs" / "demo-model.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        nice = shutil.which("nice")  # POSIX: below the web server's priority; elsewhere at normal priority
        command = [*([nice, "-n", "10"] if nice else []), sys.executable, "-m", "minyi.cli", "demo", "--model-only"]
        with log.open("w", encoding="utf-8") as out:
            child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603 - our own interpreter
        log.with_suffix(".pid").write_text(f"{child.pid}\n", encoding="utf-8")  # to stop it: kill $(cat var/logs/demo-model.pid)
        return str(log)

    def _archive_old_witness(self) -> None:
        """A new demo database: the audit witness of the one it replaces would (rightly) call it a rewrite."""
        from pathlib import Path

        from django.conf import settings

        witness = Path(settings.MINYI_AUDIT_WITNESS_FILE)
        if witness.is_file() and witness.stat().st_size:
            archived = witness.with_name(f"{witness.name}.{timezone.localtime():%Y%m%d%H%M%S}.old")
            witness.rename(archived)
            self.stdout.write(f"new demo database: the old audit witness was moved to {archived}")

    def _prepare_assistant_and_cockpit(self) -> None:
        """小惠's knowledge base and past replies, and the cockpit's rollups, from the demo data."""
        from minyi.assistant import services as assistant
        from minyi.cockpit import rollup
        from minyi.desk import templates as reply_templates

        assistant.load_kb()
        reply_templates.load_defaults()
        assistant.harvest()
        rollup.rebuild()  # quietly: `minyi cockpit rebuild` prints its progress and counts

    def _install_dispatch_model(self) -> None:
        """Train the dispatch model on the demo's older appeals, once, and suggest on the later ones.

        The model learns only from appeals registered before ``HOLDOUT`` ahead of the newest one. The
        later appeals get the suggestions intake would have stored, had this model been serving then,
        so 智能派单质量 (``/triage/quality``) measures it on appeals it never saw.
        """
        from pathlib import Path

        from django.conf import settings
        from tqdm import tqdm

        from minyi.triage import cli, integration

        if Path(settings.MINYI_TRIAGE_MODEL).is_file():
            return
        if not Appeal.objects.exists():
            return
        newest = Appeal.objects.aggregate(newest=Max("created_at"))["newest"]
        if newest is None:
            return
        cutoff = newest - HOLDOUT
        examples = integration.examples_from_db(registered_before=cutoff)
        if len({label for _, label in examples}) < 2:
            return
        since = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"training the dispatch model on {len(examples)} demo appeals registered before {since} …")
        self.stdout.flush()
        cli.main(["train", "--out", str(settings.MINYI_TRIAGE_MODEL)], extra_examples=examples, stdout=sys.stdout)
        integration._cache.clear()
        later = Appeal.objects.filter(created_at__gte=cutoff)
        with tqdm(desc="智能派单建议", unit="件", delay=2, disable=not sys.stderr.isatty()) as bar:

            def progress(advance: int, total: int) -> None:
                bar.total = total
                bar.update(advance)

            stored = integration.add_model_suggestions(later, progress=progress)
        self.stdout.write(f"suggestions stored on {stored} of {later.count()} demo appeals registered since {since}")
        self.stdout.write(f"suggestions refreshed for {integration.refresh_open_suggestions()} waiting appeals")
