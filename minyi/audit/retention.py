"""``minyi audit retention``: delete security-log rows past the retention period, and say so.

等保2.0 asks for at least six months of audit records: ``MINYI_SECURITY_LOG_RETENTION_DAYS``
(default and minimum 180; settings.py refuses less). Only a prefix of the sealed chain
goes — every row before the first one still young enough — so the rest still verifies:
the anchor's ``base_seq``/``base_hash`` move to the first remaining row, and the
RETENTION event written in the same transaction records both. The database trigger
independently refuses to delete a row younger than 180 days by its own clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from minyi.audit import chain as chains
from minyi.audit.guard import MIN_RETENTION_DAYS
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.audit.services import record_security_event


@dataclass
class RetentionResult:
    days: int
    cutoff: dt.datetime
    deleted: int
    through_seq: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "cutoff": self.cutoff.isoformat(), "deleted": self.deleted, "through_seq": self.through_seq}


def retention_days() -> int:
    days = int(getattr(settings, "MINYI_SECURITY_LOG_RETENTION_DAYS", MIN_RETENTION_DAYS))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(f"MINYI_SECURITY_LOG_RETENTION_DAYS={days}: the security log is kept at least {MIN_RETENTION_DAYS} days")
    return days


def apply_retention(*, now: dt.datetime | None = None, by: Any = None) -> RetentionResult:
    """Delete the sealed security-log rows older than the retention period; write one RETENTION row."""
    days = retention_days()
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    chain = chains.SECURITY_EVENT
    chains.seal_chain(chain)  # rows must be sealed before they can go
    key = chains.audit_key()
    with transaction.atomic():
        anchor = chains.get_anchor(chain, for_update=True)
        sealed = SecurityEvent.objects.filter(seal_seq__isnull=False, seal_seq__gte=anchor.base_seq)
        first_young = sealed.filter(at__gte=cutoff).order_by("seal_seq").values_list("seal_seq", flat=True).first()
        through = (first_young - 1) if first_young is not None else anchor.last_seq
        deleted = 0
        if through >= anchor.base_seq:
            last_gone = sealed.get(seal_seq=through)
            table = connection.ops.quote_name(SecurityEvent._meta.db_table)
            with connection.cursor() as cursor:
                # Raw DELETE: the model refuses bulk deletes; the trigger checks each row's age again.
                cursor.execute(
                    f"DELETE FROM {table} WHERE seal_seq >= %s AND seal_seq <= %s AND at < %s",  # noqa: S608 - model table name
                    [anchor.base_seq, through, cutoff],
                )
                deleted = cursor.rowcount
            anchor.base_seq, anchor.base_hash = through + 1, last_gone.row_hash
            chains.save_anchor(anchor, key)
        result = RetentionResult(days, cutoff, deleted, through if deleted else None)
        record_security_event(
            SecurityKind.RETENTION,
            user=by,
            target=str(SecurityEvent._meta.verbose_name),
            details={**result.as_dict(), "base_seq": anchor.base_seq, "base_hash": anchor.base_hash},
        )
    return result
