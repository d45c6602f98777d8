import datetime as dt
import logging
import sys
import warnings
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Max
from django.utils import timezone

from minyi.appeals.demo import DEMO_PASSWORD, ensure_demo_accounts
from minyi.appeals.models import Appeal
from minyi.core.production import refuse_in_production
from minyi.directory.defaults import load_defaults

# The demo's dispatch model learns from appeals older than this before the newest one, and is measured on the rest.
HOLDOUT = dt.timedelta(days=30)


class Command(BaseCommand):
    help = "演示：迁移、载入默认数据、（若为空）生成演示诉求并启动服务 / Migrate, seed if empty, serve"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appeals", type=int, default=2000)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up and print the accounts only")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("demo")  # before migrate: not even the schema goes into a production database
        call_command("migrate", interactive=False, verbosity=0)
        load_defaults()
        if not Appeal.objects.exists():
            self._archive_old_witness()
            self.stdout.write(f"seeding {options['appeals']} demo appeals …")
            # The seeded history's own 催办/督办 notices would bury the accounts printed below.
            quiet = logging.getLogger("minyi.notify")
            level = quiet.level
            quiet.setLevel(logging.WARNING)
            try:
                call_command("seed-demo", appeals=options["appeals"], seed=7)
            finally:
                quiet.setLevel(level)
        self._install_dispatch_model()
        self._prepare_assistant_and_cockpit()
        accounts = ensure_demo_accounts()
        self.stdout.write(f"\n演示账号 demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, _password, name in accounts:
            self.stdout.write(f"  {username:<12} {name}")
        self.stdout.write("")
        if not options["no_serve"]:
            call_command("serve", port=options["port"])

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
        from minyi.desk import templates as reply_templates

        assistant.load_kb()
        reply_templates.load_defaults()
        assistant.harvest()
        call_command("cockpit", "rebuild", verbosity=0)

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
        newest = Appeal.objects.aggregate(newest=Max("created_at"))["newest"]
        if newest is None:
            return
        cutoff = newest - HOLDOUT
        examples = integration.examples_from_db(registered_before=cutoff)
        if len({label for _, label in examples}) < 2:
            return
        since = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"training the dispatch model on {len(examples)} demo appeals registered before {since} …")
        with warnings.catch_warnings():
            # liblinear's ConvergenceWarning on a small demo corpus says nothing a newcomer can act on.
            warnings.simplefilter("ignore", category=UserWarning)
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
