"""minyi's settings in development mode, for the tools: pytest, mypy's Django plugin, makemigrations.

Unset MINYI_DEBUG means production (``minyi.settings``), which refuses the placeholder secret. Tools that
only need the project loaded use this module instead; an explicit MINYI_DEBUG=0 still wins, so
production behaviour can be checked with it. Servers use ``minyi.settings``.
"""

import os

os.environ.setdefault("MINYI_DEBUG", "1")

from minyi.settings import *  # noqa: F403 - the same settings, read after the default above

# A second alias standing for the streaming replica, mirroring the test database, so the router's tests
# can check that cockpit reads go there (production: MINYI_REPLICA_URL). Off unless a test turns it on.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
    MINYI_REPLICA_READS = False
