from typing import Any

from django.core.management.base import BaseCommand

from minyi.directory.defaults import load_defaults


class Command(BaseCommand):
    help = "载入默认组织、网格、分类与渠道（明湖区示例，可重复执行）/ Load the default district"

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_defaults()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
