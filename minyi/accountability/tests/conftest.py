from __future__ import annotations

import datetime as dt

from minyi.workflow.calendar import SHANGHAI

# Monday 2026-11-16 09:00, a plain working week (no holidays until New Year).
MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
