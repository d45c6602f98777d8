"""minyi's settings in development mode, for the tools: pytest, mypy's Django plugin, makemigrations.

Unset MINYI_DEBUG means production (``minyi.settings``), which refuses the placeholder secret. Tools that
only need the project loaded use this module instead; an explicit MINYI_DEBUG=0 still wins, so
production behaviour can be checked with it. Servers use ``minyi.settings``.
"""

import os

os.environ.setdefault("MINYI_DEBUG", "1")

from minyi.settings import *  # noqa: F403 - the same settings, read after the default above
