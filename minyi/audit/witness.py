"""The external witness of the audit chains: each chain head the sealer reaches, outside the database.

Triggers and the anchor's HMAC stop everyone but a database superuser. A superuser can disable
every trigger, rewrite or empty an audit table, delete its anchor and let the sealer seal the
forged rows afresh with the real key (findings H5, H6). So each sealing run that moves a chain
appends its new head — table, ``seal_seq``, ``row_hash``, time — as one JSON line to
``MINYI_AUDIT_WITNESS_FILE`` (default ``<MINYI_VAR_DIR>/audit/witness.jsonl``: opened in append
mode, fsync-ed) and logs it on the ``minyi.audit`` logger, which ships with the JSON logs. The
database cannot reach either.

``minyi audit verify`` holds the database against the witness: a chain shorter than a witnessed
head, another ``row_hash`` at a witnessed ``seal_seq`` or a witnessed table without its anchor is
a finding; and the sealer refuses to seal a table whose anchor lags behind the witness (it would
re-seal rewritten rows). Every line is a fact about the database it names, so a witness file
shared by several hosts, or holding only some heads, never raises a false finding.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("minyi.audit")


@dataclass(frozen=True)
class Head:
    table: str
    seal_seq: int
    row_hash: str


def path() -> Path:
    configured = getattr(settings, "MINYI_AUDIT_WITNESS_FILE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit" / "witness.jsonl"


def database() -> str:
    """Which database a line is about: its name (a file path on SQLite), so one file can serve several."""
    return str(connection.settings_dict["NAME"])


def record(table: str, seal_seq: int, row_hash: str) -> None:
    """Append one chain head (after its transaction has committed) and log it."""
    entry = {"db": database(), "table": table, "seal_seq": seal_seq, "row_hash": row_hash, "at": timezone.now().isoformat()}
    logger.info("audit chain head %s #%d %s", table, seal_seq, row_hash, extra={"audit_witness": entry})
    target = path()
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)  # one write of one short line: appends from several processes do not mix
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        # The seal has committed; the log line above is the witness of last resort. Say so loudly.
        logger.exception("could not append the audit chain head to the witness file %s", target)


def _entries(lines: list[bytes], db: str) -> list[Head]:
    heads = []
    for raw in lines:
        try:
            item = json.loads(raw)
            if item.get("db") == db:
                heads.append(Head(str(item["table"]), int(item["seal_seq"]), str(item["row_hash"])))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash witnesses nothing
    return heads


def read_all() -> dict[str, dict[int, str]]:
    """Every witnessed head of this database: table → {seal_seq: row_hash} (for ``verify``)."""
    try:
        lines = path().read_bytes().splitlines()
    except FileNotFoundError:
        return {}
    witnessed: dict[str, dict[int, str]] = {}
    for head in _entries(lines, database()):
        witnessed.setdefault(head.table, {})[head.seal_seq] = head.row_hash
    return witnessed


# The sealer asks for the newest head of one table every minute: read only what was appended
# since the last time (the file only grows; a shorter file is read again from the start).
_cache_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}


def latest(table: str) -> int:
    """The highest witnessed ``seal_seq`` of ``table`` in this database (0: never witnessed)."""
    target, db = path(), database()
    with _cache_lock:
        offset, tops = _cache.get((str(target), db), (0, {}))
        try:
            with target.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < offset:
                    offset, tops = 0, {}
                handle.seek(offset)
                chunk = handle.read(size - offset)
        except FileNotFoundError:
            _cache.pop((str(target), db), None)
            return 0
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is read next time
        tops = dict(tops)
        for head in _entries(complete.splitlines(), db):
            tops[head.table] = max(tops.get(head.table, 0), head.seal_seq)
        _cache[(str(target), db)] = (offset + len(complete), tops)
        return tops.get(table, 0)
