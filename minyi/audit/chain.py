"""Hash chains over the audit tables, sealed after the fact so that inserts never queue.

Audit rows are inserted unsealed, by any number of concurrent transactions. The sealer
(``minyi audit seal``; also the periodic job ``audit.seal`` every minute, and before ``verify``) takes
a single-run lock per table, walks the unsealed rows in id order and gives each a
``seal_seq`` (1, 2, 3 … per table), the previous row's hash and its own:

    row_hash = HMAC-SM3(key, prev_hash ‖ "\\n" ‖ canonical JSON of the row's columns)

The key comes from the environment (``MINYI_AUDIT_KEY`` / ``MINYI_AUDIT_KEY_FILE``), never
from the database, so someone who can write the tables cannot re-seal an altered row. A
database superuser who empties a table and deletes its anchor could still have the sealer
start it afresh; each head the sealer reaches is therefore also written outside the database
(``minyi.audit.witness``), and the sealer refuses an anchor that lags behind it.

Sealing in id order is only sound if no row with a lower id can still appear. On SQLite
the sealer is the only writer (IMMEDIATE transactions). On PostgreSQL a transaction may
hold an id from the sequence and commit later; a statement trigger gives every inserting
transaction its xid before it takes ids (``guard.py``), so the sealer notes the highest
visible id and the transactions still running, and seals up to that id once they have
all ended — at once if none is running, else on a later round. Hence every unsealed row
below the last sealed id is one that was slipped in afterwards; ``verify`` names it.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64
BATCH = 2000


@dataclass(frozen=True)
class Chain:
    """One audit table: its model, the columns its hash covers, whether retention may delete."""

    model_path: str
    label: Promise
    columns: tuple[str, ...]  # fixed: a column added later is not covered until a new chain version
    retention: bool = False

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model_path)

    @property
    def objects(self) -> models.Manager[Any]:
        return self.model._default_manager

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)


AUDIT_EVENT = Chain(
    "workflow.AuditEvent",
    _("诉求操作记录"),
    ("appeal_id", "at", "actor_id", "actor_label", "event", "from_state", "to_state", "reason", "payload"),
)
RECORD_AUDIT = Chain(
    "accountability.RecordAudit",
    _("专题/活动操作记录"),
    ("topic_id", "engagement_id", "at", "actor_id", "actor_label", "event", "reason", "payload"),
)
POINT_AUDIT = Chain(
    "points.PointAudit",
    _("点位操作记录"),
    ("point_id", "at", "actor_id", "actor_label", "event", "reason", "payload"),
)
SECURITY_EVENT = Chain(
    "audit.SecurityEvent",
    _("安全日志"),
    ("at", "kind", "actor_id", "actor_label", "ip", "user_agent", "target", "outcome", "details"),
    retention=True,
)
CHAINS: tuple[Chain, ...] = (AUDIT_EVENT, RECORD_AUDIT, POINT_AUDIT, SECURITY_EVENT)


# --- the key and the hash ---------------------------------------------------------------------


def audit_key() -> bytes:
    """The HMAC key: ``settings.MINYI_AUDIT_KEY``, or in development one derived from SECRET_KEY.

    settings.py refuses to start without MINYI_AUDIT_KEY when DEBUG is off.
    """
    configured = getattr(settings, "MINYI_AUDIT_KEY", "")
    if configured:
        return str(configured).encode()
    return _sm3_hmac(str(settings.SECRET_KEY).encode(), b"minyi-audit-chain-dev-key")


def key_id(key: bytes | None = None) -> str:
    """A short public fingerprint of the key, so verify can say "sealed with another key"."""
    return _sm3_hmac(key or audit_key(), b"minyi-audit-key-id").hex()[:16]


def _sm3_hmac(key: bytes, message: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize()


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise TypeError(f"cannot serialise {type(value).__name__} in an audit row")


def canonical(chain: Chain, row: Sequence[Any]) -> bytes:
    """The row (id first, then ``chain.columns``) as deterministic JSON, as read back from the database."""
    return json.dumps([chain.table, *row], default=_encode, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def row_hash(key: bytes, chain: Chain, prev_hash: str, row: Sequence[Any]) -> str:
    return _sm3_hmac(key, prev_hash.encode() + b"\n" + canonical(chain, row)).hex()


def anchor_mac(key: bytes, anchor: Any) -> str:
    fields = [anchor.table, anchor.key_id, anchor.base_seq, anchor.base_hash, anchor.last_seq, anchor.last_id, anchor.last_hash]
    return _sm3_hmac(key, json.dumps(fields).encode()).hex()


def rows(chain: Chain, queryset: models.QuerySet[Any]) -> Iterable[tuple[Any, ...]]:
    """(id, *columns, seal_seq, prev_hash, row_hash) for each row of ``queryset``."""
    return queryset.values_list("id", *chain.columns, "seal_seq", "prev_hash", "row_hash").iterator(chunk_size=BATCH)


# --- sealing ----------------------------------------------------------------------------------


@cache
def _lock_id(table: str) -> int:
    return zlib.crc32(f"minyi-audit-seal:{table}".encode())


def get_anchor(chain: Chain, *, for_update: bool = False) -> Any:
    from minyi.audit.models import ChainAnchor

    manager = ChainAnchor.objects.select_for_update() if for_update else ChainAnchor.objects
    anchor, _ = manager.get_or_create(table=chain.table, defaults={"base_hash": GENESIS, "last_hash": GENESIS, "key_id": key_id()})
    return anchor


def save_anchor(anchor: Any, key: bytes) -> None:
    anchor.mac = anchor_mac(key, anchor)
    anchor.save()


def _running_xids(cursor: Any) -> set[str]:
    cursor.execute(
        "SELECT backend_xid::text FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
    )
    return {row[0] for row in cursor.fetchall()}


def _horizon(chain: Chain, anchor: Any) -> int:
    """The highest id below which no row can still appear (and remember the next candidate)."""
    top = int(chain.objects.aggregate(top=models.Max("id"))["top"] or 0)
    if connection.vendor != "postgresql":
        return top  # the IMMEDIATE transaction holds the only write lock
    with connection.cursor() as cursor:
        running = _running_xids(cursor)  # read after max(id): see the module docstring
    safe = anchor.last_id
    if anchor.pending_id is not None and not set(anchor.pending_xids) & running:
        safe = max(safe, anchor.pending_id)
        anchor.pending_id, anchor.pending_xids = None, []
    if not running:
        anchor.pending_id, anchor.pending_xids = None, []
        return int(max(safe, top))
    if anchor.pending_id is None and top > safe:
        anchor.pending_id, anchor.pending_xids = top, sorted(running)
    return int(safe)


def _write_seals(chain: Chain, seals: list[tuple[int, str, str, int]]) -> None:
    table = connection.ops.quote_name(chain.table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET seal_seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s AND seal_seq IS NULL",  # noqa: S608 - model table name
            seals,
        )


def _try_lock(chain: Chain) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_id(chain.table)])
        return bool(cursor.fetchone()[0])


def seal_chain(chain: Chain, *, limit: int | None = None) -> int:
    """Seal the table's final unsealed rows in id order, in batches; returns how many were sealed.

    Another sealer already at work on the table makes this one return 0 at once.
    """
    from minyi.audit import witness

    key, kid, sealed = audit_key(), key_id(), 0
    horizon: int | None = None
    head: tuple[int, str] | None = None
    while limit is None or sealed < limit:
        with transaction.atomic():
            if not _try_lock(chain):
                break
            anchor = get_anchor(chain, for_update=True)
            if anchor.key_id != kid:
                if anchor.last_seq:
                    raise ImproperlyKeyed(chain)
                anchor.key_id = kid
            if horizon is None:
                _refuse_a_rebuilt_chain(chain, anchor, key, witness.latest(chain.table))
                horizon = _horizon(chain, anchor)
            size = BATCH if limit is None else min(BATCH, limit - sealed)
            batch = list(
                chain.objects.filter(seal_seq__isnull=True, id__gt=anchor.last_id, id__lte=horizon)
                .order_by("id")
                .values_list("id", *chain.columns)[:size]
            )
            prev, seq, seals = anchor.last_hash or GENESIS, anchor.last_seq, []
            for row in batch:
                seq += 1
                digest = row_hash(key, chain, prev, row)
                seals.append((seq, prev, digest, row[0]))
                prev = digest
            if seals:
                _write_seals(chain, seals)
                anchor.last_seq, anchor.last_id, anchor.last_hash = seq, batch[-1][0], prev
                anchor.sealed_at = timezone.now()
                head = (seq, prev)
            save_anchor(anchor, key)
        sealed += len(seals)
        if len(batch) < size:
            break
    if head is not None:
        # Only once committed: a witnessed head the database then lost would be a false finding.
        transaction.on_commit(partial(witness.record, chain.table, *head))
    return sealed


def _refuse_a_rebuilt_chain(chain: Chain, anchor: Any, key: bytes, witnessed: int) -> None:
    """Never extend an anchor that was forged, rolled back or recreated: that would re-seal rewritten rows."""
    if anchor.last_seq and anchor.mac != anchor_mac(key, anchor):
        raise ForgedAnchor(chain)
    if anchor.last_seq < witnessed:
        raise BehindWitness(chain, anchor.last_seq, witnessed)


def seal_all() -> dict[str, int]:
    return {chain.table: seal_chain(chain) for chain in CHAINS}


class SealRefused(Exception):
    """The sealer will not touch this chain; ``reason`` says why, in Chinese, for the command line."""

    reason = ""

    def __init__(self, chain: Chain, message: str) -> None:
        super().__init__(f"{chain.table}: {message}; refusing to seal")
        self.chain = chain


class ImproperlyKeyed(SealRefused):
    """The chain was sealed with another key: sealing more would fork it."""

    def __init__(self, chain: Chain) -> None:
        super().__init__(chain, "sealed with a different MINYI_AUDIT_KEY")
        self.reason = f"{chain.table} 是用另一把审计密钥封存的，拒绝继续封存：请检查 MINYI_AUDIT_KEY。"


class ForgedAnchor(SealRefused):
    """The anchor's HMAC does not match: someone wrote it without the key."""

    def __init__(self, chain: Chain) -> None:
        super().__init__(chain, "the chain anchor was changed without the audit key")
        self.reason = f"{chain.table} 的封存锚点被改动过（摘要不符），拒绝继续封存：请运行 minyi audit verify。"


class BehindWitness(SealRefused):
    """The anchor is missing or older than a head the witness file saw: the chain was rebuilt."""

    def __init__(self, chain: Chain, anchored: int, witnessed: int) -> None:
        super().__init__(chain, f"the anchor ends at seal_seq {anchored} but the witness saw {witnessed}")
        self.reason = f"{chain.table} 的封存锚点只到序号 {anchored}，而外部见证记录已封存到序号 {witnessed}，拒绝重新封存：请运行 minyi audit verify。"


def reinstall_sqlite_guards(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` on SQLite: table rebuilds drop triggers; put them back with today's columns."""
    from django.db import connections

    from minyi.audit import guard

    db = connections[using]
    if db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        for chain in CHAINS:
            columns = [f.column for f in chain.model._meta.concrete_fields]
            for sql in guard.statements(db.vendor, chain.table, columns, retention=chain.retention):
                cursor.execute(sql)
        for sql in guard.anchor_statements(db.vendor):
            cursor.execute(sql)
