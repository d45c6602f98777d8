"""The ``minyi`` command: Django's management commands with minyi's settings preset.

``minyi migrate``, ``minyi seed-demo``, ``minyi stats --json``, ``minyi serve``,
``minyi demo``, ``minyi triage …`` — each a thin command in a domain app that calls
the same actions as the web layer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping


def demo_defaults(args: list[str], environ: MutableMapping[str, str]) -> None:
    """``minyi demo`` on a developer's machine runs in debug mode without any setup.

    Only when the environment says nothing: a deployment sets MINYI_SECRET_KEY (and may set
    MINYI_DEBUG=0), and there ``demo`` stays in production mode and refuses to run.
    """
    if args[1:2] == ["demo"] and "MINYI_DEBUG" not in environ and "MINYI_SECRET_KEY" not in environ:
        environ["MINYI_DEBUG"] = "1"
    if args[1:2] == ["demo"] and environ.get("MINYI_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        # The demo's printed accounts log in without forced change, expiry or TOTP (refused outside debug mode).
        environ.setdefault("MINYI_DEMO_RELAXED", "1")
    if args[1:2] == ["demo"]:
        # No beat in the demo: its in-process worker fires the SLA sweep, rollups and audit sealing itself.
        environ.setdefault("MINYI_JOBS_PERIODIC", "1")
        # Quiet: the printed accounts stay on screen. Notices reach the in-app notification centre, not the
        # console, and only warnings are logged (MINYI_NOTIFY_BACKEND=console MINYI_LOG_LEVEL=INFO for more).
        environ.setdefault("MINYI_NOTIFY_BACKEND", "inapp")
        environ.setdefault("MINYI_LOG_LEVEL", "WARNING")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else ["minyi", *argv])
    args[0] = "minyi"
    demo_defaults(args, os.environ)  # before Django reads the settings
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
