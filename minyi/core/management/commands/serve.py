from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动 Web 服务（waitress）/ Serve the platform with waitress"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from minyi.wsgi import application

        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"minyi serving on http://{options['host']}:{options['port']}/  (Ctrl-C to stop)")
        self.stdout.flush()
        serve(application, host=options["host"], port=options["port"], threads=options["threads"], ident="minyi")
