"""``minyi audit verify``: recompute every hash chain and name each row that does not fit.

Findings, each with the table, the row id and its seal number where there is one:

- altered: the row's columns no longer give the hash it was sealed with;
- deleted: a gap in ``seal_seq`` (or the chain ends before the anchor's last row);
- inserted: a row whose ``prev_hash`` does not link to the row before it, a sealed row
  the anchor does not know, or an unsealed row below the last sealed id (the sealer never
  leaves one there: see ``chain.py``);
- guard: an append-only trigger is missing or disabled (on an audit table or the anchor
  table); anchor/key: the bookmark was changed, or the chain was sealed with another key;
- witness: the database disagrees with the external witness (``witness.py``): a witnessed
  table has no anchor, its chain ends before a witnessed head, or a witnessed ``seal_seq``
  now has another hash — the chain was emptied or rewritten and sealed again.

The chain starts from the anchor's ``base_seq``/``base_hash``, which the retention job
moves forward when it deletes the oldest security-log rows, so old rows may go.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from minyi.audit import chain as chains
from minyi.audit import guard, witness
from minyi.audit.chain import CHAINS, Chain

MAX_FINDINGS_PER_KIND = 200  # per table: enough to act on, bounded for a page


@dataclass
class Finding:
    table: str
    kind: str
    message: str
    row_id: int | None = None
    seal_seq: int | None = None


@dataclass
class ChainSummary:
    table: str
    label: str
    checked: int = 0
    first_seq: int | None = None
    last_seq: int = 0
    unsealed: int = 0


@dataclass
class Report:
    checked_at: dt.datetime
    chains: list[ChainSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "chains": [asdict(c) for c in self.chains],
            "findings": [asdict(f) for f in self.findings],
        }

    def summary(self) -> str:
        parts = [_("%(label)s %(n)d 行") % {"label": c.label, "n": c.checked} for c in self.chains]
        return _("审计链完整：%(parts)s，未发现改动、删除或插入。") % {"parts": "，".join(parts)}


# Concurrent writers commit a little out of order; ten minutes is far beyond that and far short of a forgery's back-dating.
BACKDATE_TOLERANCE = dt.timedelta(minutes=10)


def verify(*, seal: bool = True) -> Report:
    """Seal what is final (unless ``seal=False``), then check every chain."""
    report = Report(checked_at=timezone.now())
    key = chains.audit_key()
    for chain in CHAINS:
        if seal:
            with contextlib.suppress(chains.SealRefused):  # reported below as a key, anchor or witness finding
                chains.seal_chain(chain)
    witnessed = witness.read_all()
    for chain in CHAINS:
        _verify_chain(chain, key, report, witnessed.get(chain.table, {}))
    for name in guard.missing_guards(connection, guard.ANCHOR_TABLE):
        message = _("审计链锚点表（%(table)s）的防篡改触发器 %(name)s 不存在或已停用，数据库不再拒绝删除或回退锚点。")
        report.findings.append(Finding(guard.ANCHOR_TABLE, "guard", message % {"table": guard.ANCHOR_TABLE, "name": name}))
    return report


class _Collector:
    def __init__(self, chain: Chain, report: Report) -> None:
        self.chain, self.report, self.counts = chain, report, dict[str, int]()

    def add(self, kind: str, message: str, row_id: int | None = None, seal_seq: int | None = None) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= MAX_FINDINGS_PER_KIND:
            self.report.findings.append(Finding(self.chain.table, kind, message, row_id, seal_seq))


def _verify_chain(chain: Chain, key: bytes, report: Report, witnessed: dict[int, str]) -> None:
    from minyi.audit.models import ChainAnchor

    label = str(chain.label)
    where = {"label": label, "table": chain.table}
    summary = ChainSummary(chain.table, label)
    report.chains.append(summary)
    found = _Collector(chain, report)
    for name in guard.missing_guards(connection, chain.table):
        found.add("guard", _("%(label)s（%(table)s）的防篡改触发器 %(name)s 不存在或已停用，数据库不再拒绝改写和删除。") % {**where, "name": name})

    model = chain.objects
    anchor = ChainAnchor.objects.filter(table=chain.table).first()
    top = max(witnessed, default=0)
    if anchor is None:
        sealed = model.filter(seal_seq__isnull=False).count()
        if sealed:
            found.add("anchor", _("%(label)s（%(table)s）有 %(n)d 行已封存，但封存锚点不见了。") % {**where, "n": sealed})
        if top:
            message = _("%(label)s（%(table)s）的封存锚点不见了，而外部见证记录它已封存到序号 %(seq)d：这条审计链被清空或重建过。")
            found.add("witness", message % {**where, "seq": top}, None, top)
        summary.unsealed = model.count() - sealed
        return
    if anchor.key_id != chains.key_id(key):
        found.add("key", _("%(label)s（%(table)s）是用另一把审计密钥封存的：请检查 MINYI_AUDIT_KEY 是否与封存时一致。") % where)
        return
    if anchor.mac != chains.anchor_mac(key, anchor):
        found.add("anchor", _("%(label)s（%(table)s）的封存锚点被改动过（摘要不符）。") % where)

    expected, prev, count = anchor.base_seq, anchor.base_hash, 0
    width = 1 + len(chain.columns)
    # The security log is written as things happen: a row sealed after later rows yet dated well before them was
    # put in afterwards (found by the independent re-probe: a forged, back-dated "unlock" row was sealed and passed).
    # Appeal timelines are left out: imports of history write old dates on purpose.
    at_index = 1 + chain.columns.index("at") if chain.retention and "at" in chain.columns else None
    latest = None
    for row in chains.rows(chain, model.filter(seal_seq__isnull=False).order_by("seal_seq")):
        data, (seq, row_prev, digest) = row[:width], row[width:]
        row_id, at = row[0], {**where, "id": row[0], "seq": seq}
        if seq < anchor.base_seq:
            found.add("inserted", _("%(label)s（%(table)s）第 %(id)d 行（封存序号 %(seq)d）位于链首之前：已清理的行被放回或伪造。") % at, row_id, seq)
            continue
        if seq > expected:
            gap = {**at, "first": expected, "last": seq - 1}
            found.add("deleted", _("%(label)s（%(table)s）封存序号 %(first)d–%(last)d 的行已被删除（在第 %(id)d 行之前）。") % gap, row_id, expected)
        elif row_prev != prev:
            found.add("inserted", _("%(label)s（%(table)s）第 %(id)d 行（封存序号 %(seq)d）与前一行链接不上：有行被插入、替换或调换顺序。") % at, row_id, seq)
        if chains.row_hash(key, chain, row_prev, data) != digest:
            found.add("altered", _("%(label)s（%(table)s）第 %(id)d 行（封存序号 %(seq)d）的内容与封存时不符：已被改动。") % at, row_id, seq)
        if witnessed.get(seq, digest) != digest:
            message = _("%(label)s（%(table)s）第 %(id)d 行（封存序号 %(seq)d）的摘要与外部见证记录的不符：这段审计链被改写后重新封存过。")
            found.add("witness", message % at, row_id, seq)
        if at_index is not None and isinstance(data[at_index], dt.datetime):
            moment = data[at_index]
            if latest is not None and moment < latest - BACKDATE_TOLERANCE:
                message = _("%(label)s（%(table)s）第 %(id)d 行（封存序号 %(seq)d）的时间早于此前封存的行：是事后补写、倒填日期的记录。")
                found.add("backdated", message % at, row_id, seq)
            latest = moment if latest is None else max(latest, moment)
        prev, expected, count = digest, seq + 1, count + 1
        summary.first_seq = summary.first_seq or seq
    summary.checked, summary.last_seq = count, expected - 1
    if expected - 1 < top:
        short = {**where, "last": expected - 1, "seq": top}
        message = _("%(label)s（%(table)s）的审计链只到封存序号 %(last)d，而外部见证记录它已封存到序号 %(seq)d：之后的行被删除，或整条链被重建。")
        found.add("witness", message % short, None, top)
    if expected - 1 < anchor.last_seq:
        tail = {**where, "first": expected, "last": anchor.last_seq}
        found.add("deleted", _("%(label)s（%(table)s）链尾封存序号 %(first)d–%(last)d 的行已被删除。") % tail, None, expected)
    elif expected - 1 > anchor.last_seq:
        found.add("inserted", _("%(label)s（%(table)s）出现封存锚点之后的封存行（至序号 %(seq)d）：不是封存程序写的。") % {**where, "seq": expected - 1})
    elif count and prev != anchor.last_hash:
        found.add("inserted", _("%(label)s（%(table)s）链尾与封存锚点不符：最后几行被替换。") % where, None, anchor.last_seq)

    for row_id in model.filter(seal_seq__isnull=True, id__lt=anchor.last_id).order_by("id").values_list("id", flat=True)[:MAX_FINDINGS_PER_KIND]:
        found.add("inserted", _("%(label)s（%(table)s）第 %(id)d 行未封存，却位于已封存的行之间：是封存之后插入的。") % {**where, "id": row_id}, row_id)
    summary.unsealed = model.filter(seal_seq__isnull=True, id__gt=anchor.last_id).count()
