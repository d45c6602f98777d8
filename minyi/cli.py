"""The ``minyi`` command: Django's management commands with minyi's settings preset.

``minyi migrate``, ``minyi seed-demo``, ``minyi stats --json``, ``minyi serve``,
``minyi demo``, ``minyi triage …`` — each a thin command in a domain app that calls
the same actions as the web layer.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["minyi", *argv])
    args[0] = "minyi"
    if args[1:2] == ["demo"] and os.environ.get("MINYI_DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}:
        # The demo's printed accounts log in without forced change, expiry or TOTP (refused outside debug mode).
        os.environ.setdefault("MINYI_DEMO_RELAXED", "1")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
