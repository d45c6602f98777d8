"""答复质检 actions and figures: check a reply, fit the relevance weights on the archive, per-department quality.

The check itself is pure (``check.py``). Here it meets the appeal: the citizen's own phone number
is not "a third party's", the fitted weights (``minyi replyqc fit``) replace the hand-set ones,
and the figures a supervisor, the cockpit and the bulletin read come from ``ReplyCheck`` rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q

from minyi.appeals.models import Appeal
from minyi.assistant.models import PastReply
from minyi.core.roles import roles_of
from minyi.replyqc.check import DEFAULT_WEIGHTS, FEATURES, QcResult, check_reply, features
from minyi.replyqc.models import ReplyCheck
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

log = logging.getLogger("minyi.replyqc")
QUALITY_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
MIN_FIT = 50
FIT_WITH_INDEX = 3000
_weights_cache: dict[str, Any] = {}


def model_path() -> Path:
    return Path(getattr(settings, "MINYI_REPLYQC_MODEL", Path(settings.BASE_DIR) / "var/models/replyqc.json"))


def weights() -> tuple[float, ...]:
    """The fitted weights when ``minyi replyqc fit`` has written them, else the hand-set defaults."""
    path = model_path()
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return DEFAULT_WEIGHTS
    if _weights_cache.get("stamp") != (str(path), stamp):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            w = tuple(float(data["weights"][name]) for name in FEATURES)
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("replyqc: unreadable model %s, using the default weights", path)
            w = DEFAULT_WEIGHTS
        _weights_cache.update(stamp=(str(path), stamp), weights=w)
    result: tuple[float, ...] = _weights_cache["weights"]
    return result


def check_appeal(appeal: Appeal, reply: str) -> QcResult:
    """Check ``reply`` against the appeal (read-only; nothing is recorded).

    Gram overlaps are weighted by the IDF of the district's past replies once 小惠's past-replies
    index is up in this process; until then every gram weighs the same.
    """
    from minyi.assistant.services import past_reply_idf

    av, rv = _vectors(appeal, reply)
    return check_reply(
        appeal.title,
        appeal.content,
        reply,
        citizen_numbers=[appeal.phone or ""],
        weights=weights(),
        idf=past_reply_idf(),
        dense_cos=float(av @ rv) if av is not None and rv is not None else None,
        fit=_fit_of(appeal.title, appeal.content, reply, av, rv),
    )


def _vectors(appeal: Appeal, reply: str) -> tuple[Any, Any]:
    """The appeal's (cached) and the reply's vectors when dense vectors are on (about 0.3 s for the reply)."""
    from minyi.assistant import vectors

    if not vectors.enabled() or not reply.strip():
        return None, None
    av = vectors.appeal_vector(appeal.pk, appeal.title, appeal.content)
    return av, vectors.draft_vector(reply) if av is not None else None


def _fit_of(title: str, content: str, reply: str, av: Any = None, rv: Any = None, hidden: Any = None) -> float | None:
    """P(the reply answers this appeal) among the past replies, once 小惠's index has a re-ranker in this process."""
    from minyi.assistant.services import live_past_reply_index

    index = live_past_reply_index()
    if index is None or index.reranker is None:
        return None
    return index.fit_of(f"{title}\n{content}", reply, hidden, av, rv)


def fit(out: Path | None = None, *, limit: int = 20000, seed: int = 0) -> dict[str, Any]:
    """Fit the relevance weights on the district's own archive and write them as JSON.

    Positives: each answered appeal with its own reply. Negatives: the same appeal with the reply
    of another appeal of the same category. Raises ``ValueError`` (in Chinese) with too few appeals.
    """
    from sklearn.linear_model import LogisticRegression

    rows = list(
        Appeal.objects.exclude(reply_text="")
        .filter(status__in=[State.PENDING_CALLBACK, State.CLOSED])
        .order_by("-id")
        .values_list("id", "title", "content", "reply_text", "category_id")[:limit]
    )
    if len(rows) < MIN_FIT:
        raise ValueError(f"已答复的诉求只有 {len(rows)} 件，至少需要 {MIN_FIT} 件才能训练答复质检模型。")
    from minyi.assistant.services import past_reply_idf, past_reply_index

    index = past_reply_index()  # the IDF (and the re-ranker) the check will use
    idf = past_reply_idf()
    if index.reranker is not None:
        rows = rows[:FIT_WITH_INDEX]  # each pair is also judged by the index (~20 ms)
    rng = random.Random(seed)
    by_cat: dict[Any, list[int]] = {}
    for i, r in enumerate(rows):
        by_cat.setdefault(r[4], []).append(i)
    X: list[list[float]] = []
    y: list[int] = []
    # A past appeal's own archived reply never speaks for it (its row is hidden from the precedents).
    row_of_appeal = dict(PastReply.objects.values_list("appeal_id", "id"))
    row_of_key = {key: r for r, key in enumerate(index.keys)}
    for appeal_id, title, content, reply, cat in rows:
        others = [j for j in by_cat[cat] if rows[j][3] != reply] or [j for j in range(len(rows)) if rows[j][3] != reply]
        if not others:
            continue
        hidden = None
        if index.reranker is not None:
            hidden = np.zeros(len(index), dtype=bool)
            own_row = row_of_key.get(row_of_appeal.get(appeal_id, -1))
            if own_row is not None:
                hidden[own_row] = True
        other = rows[rng.choice(others)][3]
        X.append(features(title, content, reply, idf, fit=_fit_of(title, content, reply, hidden=hidden)))
        y.append(1)
        X.append(features(title, content, other, idf, fit=_fit_of(title, content, other, hidden=hidden)))
        y.append(0)
    model = LogisticRegression(C=1.0, max_iter=2000, fit_intercept=False).fit(X, y)
    data = {"weights": dict(zip(FEATURES, (round(float(v), 4) for v in model.coef_[0]), strict=True)), "pairs": len(y)}
    path = out or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def can_see_quality(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False)) or bool(QUALITY_ROLES & roles_of(user))


@dataclass
class DepartmentQuality:
    department: str
    submitted: int
    submitted_flagged: int
    approved: int
    sent_anyway: int

    @property
    def flagged_share(self) -> float:
        return self.submitted_flagged / self.submitted if self.submitted else 0.0

    @property
    def sent_anyway_share(self) -> float:
        return self.sent_anyway / self.approved if self.approved else 0.0


def department_quality(start: dt.datetime, end: dt.datetime) -> list[DepartmentQuality]:
    """Per department, in [start, end): replies submitted and the share flagged; approvals and the share sent despite warnings."""
    rows = (
        ReplyCheck.objects.filter(at__gte=start, at__lt=end)
        .values("department__name")
        .annotate(
            submitted=Count("id", filter=Q(stage=ReplyCheck.Stage.SUBMIT)),
            submitted_flagged=Count("id", filter=Q(stage=ReplyCheck.Stage.SUBMIT, flagged=True)),
            approved=Count("id", filter=Q(stage=ReplyCheck.Stage.APPROVE)),
            sent_anyway=Count("id", filter=Q(stage=ReplyCheck.Stage.APPROVE, sent_anyway=True)),
        )
        .order_by("department__name")
    )
    out = [DepartmentQuality(r["department__name"] or "（未指定部门）", r["submitted"], r["submitted_flagged"], r["approved"], r["sent_anyway"]) for r in rows]
    out.sort(key=lambda d: (-d.flagged_share, d.department))
    return out


def quality_context(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Context for ``replyqc/_quality_table.html`` (the cockpit and the bulletin include it)."""
    rows = department_quality(start, end)
    submitted = sum(r.submitted for r in rows)
    approved = sum(r.approved for r in rows)
    return {
        "quality_rows": rows,
        "quality_flagged_share": sum(r.submitted_flagged for r in rows) / submitted if submitted else 0.0,
        "quality_sent_anyway_share": sum(r.sent_anyway for r in rows) / approved if approved else 0.0,
        "quality_flagged_pct": round(100 * sum(r.submitted_flagged for r in rows) / submitted) if submitted else 0,
        "quality_sent_anyway_pct": round(100 * sum(r.sent_anyway for r in rows) / approved) if approved else 0,
        "quality_start": start,
        "quality_end": end,
    }
