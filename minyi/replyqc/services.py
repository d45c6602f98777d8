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

from django.conf import settings
from django.db.models import Count, Q

from minyi.appeals.models import Appeal
from minyi.core.roles import roles_of
from minyi.replyqc.check import DEFAULT_WEIGHTS, FEATURES, QcResult, check_reply, features
from minyi.replyqc.models import ReplyCheck
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

log = logging.getLogger("minyi.replyqc")
QUALITY_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
MIN_FIT = 50
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

    return check_reply(appeal.title, appeal.content, reply, citizen_numbers=[appeal.phone or ""], weights=weights(), idf=past_reply_idf())


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
        .values_list("title", "content", "reply_text", "category_id")[:limit]
    )
    if len(rows) < MIN_FIT:
        raise ValueError(f"已答复的诉求只有 {len(rows)} 件，至少需要 {MIN_FIT} 件才能训练答复质检模型。")
    from minyi.assistant.services import past_reply_idf, past_reply_index

    past_reply_index()  # the IDF the check will use
    idf = past_reply_idf()
    rng = random.Random(seed)
    by_cat: dict[Any, list[int]] = {}
    for i, r in enumerate(rows):
        by_cat.setdefault(r[3], []).append(i)
    X: list[list[float]] = []
    y: list[int] = []
    for title, content, reply, cat in rows:
        others = [j for j in by_cat[cat] if rows[j][2] != reply] or [j for j in range(len(rows)) if rows[j][2] != reply]
        if not others:
            continue
        X.append(features(title, content, reply, idf))
        y.append(1)
        X.append(features(title, content, rows[rng.choice(others)][2], idf))
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
