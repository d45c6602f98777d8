"""Key management for encrypted personal data (``minyi keys status|rotate``).

Rotation re-encrypts every encrypted column with the current key (the highest id in
``MINYI_PII_KEYS``) and recomputes each blind index under that key's index key. It works in
batches by primary key, one transaction per batch, and picks only rows not yet on the current
key, so an interrupted run resumes where it stopped. Look-ups ask for the index under every key
held (``Keyring.blind_indexes``), so callers are found during a rotation too. Keep the old key
configured until ``minyi keys status`` shows no row under it, then remove it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models.functions import Cast, StrIndex, Substr

from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.core.crypto import BlindIndexField, EncryptedCharField, encrypted_fields, keyring

UNRECOGNISED = "?"  # a value that is neither empty nor ``v<id>:…`` (plaintext or damaged)


@dataclass
class ColumnStatus:
    label: str
    by_key: Counter[str] = field(default_factory=Counter)  # key id (as text) or UNRECOGNISED → rows
    index_by_key: Counter[str] = field(default_factory=Counter)
    stale: int = 0  # rows a rotation would touch


def _label(model: type[models.Model], column: EncryptedCharField) -> str:
    return f"{model._meta.label_lower}.{column.name}"


def _stale_rows(model: type[models.Model], column: EncryptedCharField, index: BlindIndexField | None, current: int) -> models.QuerySet[models.Model]:
    """Rows with a value not encrypted under ``current`` or an index not computed under it."""
    qs = model._base_manager.annotate(raw_cipher=Cast(column.name, output_field=models.TextField())).exclude(raw_cipher="")
    stale = ~models.Q(raw_cipher__startswith=f"v{current}:")
    if index is not None:
        stale |= ~models.Q(**{f"{index.name}__startswith": f"{current}:"})
    return qs.filter(stale)  # type: ignore[no-any-return]


def _counts(qs: models.QuerySet[models.Model], column: str, prefix: str) -> Counter[str]:
    """Rows per key id, grouped in SQL: ``v12:…`` (or ``12:…`` for an index, prefix "") → "12"."""
    skip = len(prefix) + 1
    pos = StrIndex("raw", models.Value(":"))
    kid = models.Case(
        models.When(models.Q(raw__startswith=prefix, raw_pos__gt=skip), then=Substr("raw", skip, models.F("raw_pos") - skip)),
        default=models.Value(""),
        output_field=models.TextField(),
    )
    rows = (
        qs.annotate(raw=Cast(column, output_field=models.TextField()))
        .exclude(raw="")
        .annotate(raw_pos=pos)
        .annotate(kid=kid)
        .values("kid")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    result: Counter[str] = Counter()
    for row in rows:
        result[row["kid"] if str(row["kid"]).isdigit() else UNRECOGNISED] += row["n"]
    return result


def key_status() -> list[ColumnStatus]:
    """How many rows of each encrypted column (and its blind index) use each key id."""
    current = keyring().current_id
    report = []
    for model, column, index in encrypted_fields():
        status = ColumnStatus(_label(model, column))
        status.by_key = _counts(model._base_manager.all(), column.name, "v")
        if index is not None:
            status.index_by_key = _counts(model._base_manager.all(), index.name, "")
        status.stale = _stale_rows(model, column, index, current).count()
        report.append(status)
    return report


@dataclass
class RotationResult:
    current: int
    rows: dict[str, int] = field(default_factory=dict)  # column label → rows re-encrypted in this run


def rotate_keys(*, batch_size: int = 1000, on_start: Callable[[str, int], None] | None = None,
                on_batch: Callable[[int], None] | None = None, by: object = None) -> RotationResult:
    """Re-encrypt every stale row with the current key and recompute its blind index; one KEY_ROTATE row.

    ``on_start(label, total)`` and ``on_batch(rows)`` drive a progress bar. Raises
    ``PiiCryptoError`` when a row cannot be decrypted (its key is no longer configured): the
    batches before it are committed, and a re-run after fixing the keys continues from there.
    """
    ring = keyring()
    result = RotationResult(current=ring.current_id)
    for model, column, index in encrypted_fields():
        label = _label(model, column)
        stale = _stale_rows(model, column, index, ring.current_id)
        if on_start is not None:
            on_start(label, stale.count())
        names = [column.name] + ([index.name] if index is not None else [])
        done, last = 0, 0
        while ids := list(stale.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]):
            with transaction.atomic():
                rows = list(model._base_manager.select_for_update().filter(pk__in=ids).only("pk", *names))
                for row in rows:  # reading decrypted them with their old key; saving encrypts with the current one
                    if index is not None:
                        setattr(row, index.attname, index.index_for(getattr(row, column.attname)))
                model._base_manager.bulk_update(rows, names)
            done, last = done + len(ids), ids[-1]
            if on_batch is not None:
                on_batch(len(ids))
        result.rows[label] = done
    record_security_event(SecurityKind.KEY_ROTATE, user=by, target="MINYI_PII_KEYS",
                          details={"current_key": ring.current_id, "rows": result.rows})
    return result
