"""Working-day arithmetic for SLA deadlines.

A working day counts whole (00:00-24:00 local time); holidays and weekends do not
count at all, and 调休 make-up Saturdays do. ``chinese_calendar`` knows the State
Council's schedule for the years it was released with; admin overrides win over it,
and for a year it does not know yet we fall back to Monday-Friday plus the overrides
and warn, rather than crash.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger("minyi.calendar")

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)

# Years for which we had to guess. The admin pages show these as a warning.
UNKNOWN_YEARS: set[int] = set()


class WorkingCalendar:
    def __init__(self, overrides: Mapping[dt.date, bool] | None = None, tz: ZoneInfo = SHANGHAI) -> None:
        self.overrides = dict(overrides or {})
        self.tz = tz
        self._known: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        # Deadlines walk day by day; remembering answers makes bulk imports and sweeps cheap.
        known = self._known.get(day)
        if known is not None:
            return known
        answer = self._library_says(day)
        self._known[day] = answer
        return answer

    def _library_says(self, day: dt.date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in UNKNOWN_YEARS:
                UNKNOWN_YEARS.add(day.year)
                logger.warning(
                    "chinese-calendar does not know %s yet: counting Monday-Friday as working days "
                    "plus admin overrides. Add that year's holidays and 调休 days as calendar overrides.",
                    day.year,
                )
            return day.weekday() < 5

    def _midnight_after(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.tz)
        next_day = local.date() + DAY
        return dt.datetime.combine(next_day, dt.time(), tzinfo=self.tz)

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment when ``amount`` of working time has passed after ``start``."""
        _require_aware(start)
        cursor = start.astimezone(self.tz)
        remaining = amount
        # 400 days bounds the walk even if an admin marks a whole year as holidays.
        for _ in range(int(amount / DAY) + 400):
            day_end = self._midnight_after(cursor)
            if self.is_workday(cursor.date()):
                chunk = day_end - cursor
                if remaining <= chunk:
                    return cursor + remaining
                remaining -= chunk
            cursor = day_end
        raise ValueError("no working days found within 400 days; check the calendar overrides")

    def _midnight_of(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.tz)
        return dt.datetime.combine(local.date(), dt.time(), tzinfo=self.tz)

    def sub_working_time(self, end: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The latest moment ``t`` with ``working_time_between(t, end) >= amount`` (walks backwards)."""
        _require_aware(end)
        cursor = end.astimezone(self.tz)
        remaining = amount
        if remaining <= dt.timedelta():
            return cursor
        for _ in range(int(amount / DAY) + 400):
            day_start = self._midnight_of(cursor)
            if day_start == cursor:
                day_start = self._midnight_of(cursor - DAY)
            if self.is_workday(day_start.date()):
                chunk = cursor - day_start
                if remaining <= chunk:
                    return cursor - remaining
                remaining -= chunk
            cursor = day_start
        raise ValueError("no working days found within 400 days; check the calendar overrides")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from ``start`` to ``end`` (negative if end is earlier)."""
        _require_aware(start)
        _require_aware(end)
        if end < start:
            return -self.working_time_between(end, start)
        cursor = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        total = dt.timedelta()
        while cursor < end:
            day_end = min(self._midnight_after(cursor), end)
            if self.is_workday(cursor.date()):
                total += day_end - cursor
            cursor = day_end
        return total


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: minyi uses timezone-aware datetimes only")
