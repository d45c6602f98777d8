"""One call for intake: everything the dispatcher's suggestion panel shows.

The Django side stores the returned dataclass (``asdict`` is JSON-safe)
on the appeal.  Nothing here decides; ``auto_dispatch`` only says whether
the model is confident enough for the automatic-dispatch setting to act.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dedup import DuplicateIndex
from .model import TriageModel
from .pii import find_pii
from .routing import Gazetteer, Location, RoutingTable
from .urgency import Priority, assess_urgency

__all__ = ["DepartmentScore", "Suggestion", "suggest"]


@dataclass(frozen=True, slots=True)
class DepartmentScore:
    department: str
    probability: float
    categories: tuple[str, ...]
    territorial: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    categories: list[dict[str, Any]]  # [{"label", "probability"}], best first
    departments: list[DepartmentScore]
    reason_terms: list[str]
    auto_dispatch: bool
    threshold: float
    priority: Priority
    urgency_flags: list[dict[str, str]]
    pii: list[dict[str, Any]]  # [{"kind", "start", "end"}]; values left out on purpose
    duplicates: list[dict[str, Any]]  # [{"id", "score", "reason"}]
    street: str | None = None
    community: str | None = None
    model_trained_at: str | None = None
    # Estimated probability that the top category is right; ``auto_dispatch``
    # is ``certainty >= threshold``.
    certainty: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def suggest(
    model: TriageModel,
    title: str,
    body: str,
    *,
    current_priority: str | None = "normal",
    routing: RoutingTable | None = None,
    gazetteer: Gazetteer | None = None,
    address: str | None = None,
    dup_index: DuplicateIndex | None = None,
    submitter: str | None = None,
    at: datetime | None = None,
    exclude_id: Hashable | None = None,
    k: int = 3,
) -> Suggestion:
    """Classify, route, flag urgency and PII, and look up duplicates.

    ``address`` is resolved with the gazetteer when given; otherwise the
    title and body are searched for place names.  Departments aggregate the
    probabilities of all top categories that route to the same department.
    """
    text = f"{title or ''}\n{body or ''}"
    pred = model.predict([text], k=max(k, len(model.classes)))[0]
    location = Location(None, None)
    if gazetteer is not None:
        location = gazetteer.resolve(address) if address else Location(None, None)
        if location.street is None:
            location = gazetteer.resolve(text)
    departments: list[DepartmentScore] = []
    if routing is not None:
        agg: dict[str, dict[str, Any]] = {}
        for ls in pred.top:
            dec = routing.route(ls.label, location, gazetteer)
            slot = agg.setdefault(dec.department, {"p": 0.0, "cats": [], "terr": dec.territorial, "reason": dec.reason})
            slot["p"] += ls.probability
            slot["cats"].append(ls.label)
        departments = sorted(
            (DepartmentScore(d, round(v["p"], 4), tuple(v["cats"]), v["terr"], v["reason"]) for d, v in agg.items()),
            key=lambda d: -d.probability,
        )[:k]
    priority, flags = assess_urgency(text, current_priority)
    dups = []
    if dup_index is not None:
        place = location.community or location.street
        dups = [
            {"id": m.id, "score": m.score, "reason": m.reason}
            for m in dup_index.query_matches(text, submitter, place, at, exclude=exclude_id)
        ]
    return Suggestion(
        categories=[{"label": s.label, "probability": s.probability} for s in pred.top[:k]],
        departments=departments,
        reason_terms=list(pred.reason_terms),
        auto_dispatch=not pred.abstain,
        threshold=pred.threshold,
        priority=priority,
        urgency_flags=[{"code": f.code, "priority": f.priority, "reason": f.reason, "evidence": f.evidence} for f in flags],
        pii=[{"kind": m.kind, "start": m.start, "end": m.end} for m in find_pii(text)],
        duplicates=dups,
        street=location.street,
        community=location.community,
        model_trained_at=model.metadata.get("trained_at"),
        certainty=pred.certainty,
    )
