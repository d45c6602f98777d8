"""Django side of AI dispatch: suggestions on intake, routing by our category tree, learning.

The library (``minyi.triage.model`` and friends) knows nothing of Django. Here its
labels are our category codes; a category routes to its default department, or to
the street of the appeal's grid cell when the category is territorial (属地).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from minyi.appeals import hooks
from minyi.appeals.models import PRIORITY_ORDER, Appeal
from minyi.directory.models import Category, Department, GridCell
from minyi.triage.dedup import jaccard, shingles
from minyi.triage.model import Prediction, TriageModel
from minyi.triage.models import TrainingExample
from minyi.triage.routing import Gazetteer
from minyi.triage.urgency import assess_urgency

logger = logging.getLogger("minyi.triage")

PRIORITY_LABELS = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
DUPLICATE_WINDOW = dt.timedelta(days=30)
DUPLICATE_MIN_SCORE = 0.5
DUPLICATE_CANDIDATES = 200
SUGGEST_BATCH = 500  # appeals predicted at once by add_model_suggestions


@functools.lru_cache(maxsize=50_000)
def _shingles_of(text: str) -> Any:
    # Appeal texts never change, and the same recent appeals are compared again and again.
    return shingles(text)

_lock = threading.Lock()
_cache: dict[str, tuple[float, TriageModel]] = {}


def model_path() -> Path:
    return Path(settings.MINYI_TRIAGE_MODEL)


def load_model() -> TriageModel | None:
    """The installed model, reloaded when its file changes; None when there is none."""
    path = model_path()
    if not path.is_file():
        return None
    mtime = path.stat().st_mtime
    with _lock:
        cached = _cache.get(str(path))
        if cached is None or cached[0] != mtime:
            try:
                _cache[str(path)] = (mtime, TriageModel.load(path))
            except Exception:
                logger.exception("cannot load the triage model at %s", path)
                return None
        return _cache[str(path)][1]


_gazetteer: tuple[float, Gazetteer] | None = None
GAZETTEER_TTL_S = 300.0


def gazetteer() -> Gazetteer:
    """Place names and aliases from the grid, rebuilt at most every five minutes."""
    global _gazetteer
    now = time.monotonic()
    if _gazetteer is None or now - _gazetteer[0] > GAZETTEER_TTL_S:
        _gazetteer = (now, _build_gazetteer())
    return _gazetteer[1]


def _build_gazetteer() -> Gazetteer:
    streets = []
    for street in GridCell.objects.filter(level=GridCell.Level.STREET).prefetch_related("children"):
        streets.append(
            {
                "name": street.code,
                "aliases": [street.name, *street.aliases.split()],
                "communities": [{"name": c.code, "aliases": [c.name, *c.aliases.split()]} for c in street.children.all()],
            }
        )
    return Gazetteer({"streets": streets})


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class _Category:
    id: int
    path: str
    territorial: bool
    department: _Unit | None


@dataclass(frozen=True)
class _Directory:
    """What routing needs from the category tree and the grid, read once every few minutes."""

    categories: dict[str, _Category]
    street_of_cell: dict[str, _Unit]


_directory: tuple[float, _Directory] | None = None


def directory() -> _Directory:
    global _directory
    now = time.monotonic()
    if _directory is None or now - _directory[0] > GAZETTEER_TTL_S:
        _directory = (now, _build_directory())
    return _directory[1]


def forget_directory() -> None:
    global _directory, _gazetteer
    _directory = _gazetteer = None


def _unit(department: Department | None) -> _Unit | None:
    return _Unit(department.pk, department.code, department.name) if department is not None else None


def _build_directory() -> _Directory:
    categories = {
        c.code: _Category(c.pk, c.path(), c.territorial, _unit(c.default_department))
        for c in Category.objects.select_related("default_department", "parent__parent")
    }
    streets: dict[str, _Unit] = {}
    for cell in GridCell.objects.select_related("parent__department", "department"):
        street = cell.parent if cell.parent is not None else cell
        if (unit := _unit(street.department)) is not None:
            streets[cell.code] = unit
    return _Directory(categories, streets)


def _route(category: _Category, grid_code: str | None) -> _Unit | None:
    if category.territorial and grid_code and grid_code in directory().street_of_cell:
        return directory().street_of_cell[grid_code]
    return category.department


def suggest_for_text(text: str, *, address: str = "", grid_code: str | None = None, phone: str = "", exclude_id: int | None = None,
                     current_priority: str = "normal", prediction: Prediction | None = None) -> dict[str, Any]:
    """Everything the suggestion panel shows, JSON-safe. Works without a model (urgency and duplicates only).

    ``prediction``: the model's answer for this text when the caller predicted a whole batch at once.
    """
    model = load_model()
    places = gazetteer()
    location = places.resolve(address) if address else places.resolve(text)
    if grid_code is None:
        grid_code = location.community or location.street
    priority, flags = assess_urgency(text, current_priority)
    result: dict[str, Any] = {
        "categories": [],
        "departments": [],
        "reason_terms": [],
        "auto_dispatch": False,
        "threshold": None,
        "priority": priority,
        "priority_label": PRIORITY_LABELS.get(priority, priority),
        "urgency_flags": [{"code": f.code, "priority": f.priority, "reason": f.reason} for f in flags],
        "grid": grid_code,
        "place_terms": list(location.matched),  # the words in the text that named the place (shown to the operator)
        "duplicates": find_duplicates(text, phone=phone, grid_code=grid_code, exclude_id=exclude_id),
        "model": None,
    }
    if model is None:
        return result
    result.update(_model_part(model, prediction or model.predict([text], k=3)[0], grid_code))
    return result


def _model_part(model: TriageModel, prediction: Prediction, grid_code: str | None) -> dict[str, Any]:
    """The model's share of a suggestion: top-3 categories, the departments they route to, reasons, confidence."""
    categories = directory().categories
    found: list[dict[str, Any]] = []
    departments: dict[int, dict[str, Any]] = {}
    for score in prediction.top:
        category = categories.get(score.label)
        found.append(
            {"code": score.label, "id": category.id if category else None, "label": category.path if category else score.label,
             "probability": score.probability}
        )
        department = _route(category, grid_code) if category else None
        if department is not None:
            slot = departments.setdefault(department.id, {"id": department.id, "code": department.code, "name": department.name, "probability": 0.0})
            slot["probability"] = round(slot["probability"] + score.probability, 4)
    top = sorted(departments.values(), key=lambda d: -d["probability"])[:3]
    return {
        "categories": found,
        "departments": top,
        "reason_terms": list(prediction.reason_terms),
        "auto_dispatch": not prediction.abstain and bool(top),
        "threshold": prediction.threshold,
        "model": model.metadata.get("trained_at"),
    }


def find_duplicates(text: str, *, phone: str = "", grid_code: str | None = None, exclude_id: int | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """Open appeals from the same caller, or the same place, recently, that read alike."""
    since = timezone.now() - DUPLICATE_WINDOW
    candidates = Appeal.objects.open().filter(created_at__gte=since)
    scope = None
    if phone:
        scope = candidates.with_phone(phone)
    if grid_code:
        by_place = candidates.filter(grid__code=grid_code)
        scope = by_place if scope is None else scope | by_place
    if scope is None:
        return []
    if exclude_id is not None:
        scope = scope.exclude(pk=exclude_id)
    mine = shingles(text)
    found: list[dict[str, Any]] = []
    rows = scope.order_by("-created_at").values_list("pk", "number", "title", "content", "phone")[:DUPLICATE_CANDIDATES]
    for pk, number, title, content, their_phone in rows:
        score = jaccard(mine, _shingles_of(f"{title}\n{content}"))
        same_caller = bool(phone) and their_phone == phone
        if score >= DUPLICATE_MIN_SCORE or (same_caller and score >= DUPLICATE_MIN_SCORE / 2):
            found.append({"id": pk, "number": number, "score": round(score, 3), "reason": "同一来电人" if same_caller else "同一地点相似内容"})
    return sorted(found, key=lambda d: -d["score"])[:limit]


def on_intake(appeal: Appeal) -> None:
    """After-intake hook ("sync" mode, the tests' default): suggestions right after intake commits."""
    if settings.MINYI_TRIAGE_SUGGEST_MODE == "sync":
        # Right after intake, so the note carries intake's moment: a back-dated intake (the demo's history, an
        # import) keeps its 智能分析 before its 派单 on the timeline.
        apply_suggestions(appeal, now=appeal.created_at)


def in_intake(appeal: Appeal) -> None:
    """In-transaction hook ("async" mode, the default): an outbox job written with the appeal itself, run by
    a worker after commit (``minyi.triage.jobs``): a crash between commit and suggestion loses nothing."""
    if settings.MINYI_TRIAGE_SUGGEST_MODE != "sync":
        from minyi.jobs.registry import enqueue

        enqueue("triage.suggest", {"appeal_id": appeal.pk})  # a new appeal: no earlier job to dedupe against


def apply_suggestions(
    appeal: Appeal,
    *,
    only_if_missing: bool = False,
    auto_dispatch: bool = True,
    prediction: Prediction | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Store suggestions on a new appeal; raise (never lower) its priority; auto-dispatch if allowed.

    With ``only_if_missing`` (background jobs, back-fill) an appeal that has suggestions
    already is left alone, so a job that runs twice writes once. ``auto_dispatch=False``
    (the back-fill, unless asked) never dispatches, whatever ``MINYI_AUTO_DISPATCH`` says.
    Returns whether it stored. ``now`` is when the audit note (and any raise or dispatch) is recorded.

    A late job (async mode) may find the appeal dispatched by a person already: its reply
    clock then runs on the old priority, so a raise goes through ``workflow.services.raise_priority``,
    which shortens the deadline to the new priority (never extends it) and tells the department.
    """
    from minyi.appeals import services
    from minyi.workflow import services as wf
    from minyi.workflow.machine import State

    text = f"{appeal.title}\n{appeal.content}"
    grid_code = appeal.grid.code if appeal.grid_id and appeal.grid else None
    suggestion = suggest_for_text(text, address=appeal.address, grid_code=grid_code, phone=appeal.phone, exclude_id=appeal.pk,
                                  current_priority=appeal.priority, prediction=prediction)
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if only_if_missing and locked.triage:
            return False
        order = [str(p) for p in PRIORITY_ORDER]
        raised = order.index(str(suggestion["priority"])) > order.index(locked.priority)
        reasons = "；".join(f["reason"] for f in suggestion["urgency_flags"])
        # Before dispatch no clock runs: the note records the raise and dispatch starts the clock from it.
        waiting = locked.state in (State.REGISTERED, State.PENDING_DISPATCH)
        fields = {"triage": suggestion}
        if raised and waiting:
            fields["priority"] = suggestion["priority"]
        Appeal.objects.filter(pk=locked.pk).update(**fields)
        wf.record_note(
            locked,
            by=wf.SYSTEM,
            kind="triage",
            reason=reasons if raised and waiting else "",
            payload={"priority_raised_to": suggestion["priority"]} if raised and waiting else {"top": suggestion["categories"][:1]},
            now=now,
        )
        if raised and not waiting:
            wf.raise_priority(locked, str(suggestion["priority"]), by=wf.SYSTEM, reason=reasons, now=now)
    appeal.refresh_from_db()
    if auto_dispatch and settings.MINYI_AUTO_DISPATCH and suggestion["auto_dispatch"] and appeal.state is State.PENDING_DISPATCH:
        top = suggestion["departments"][0]
        department = Department.objects.get(pk=top["id"])
        category = Category.objects.filter(pk=suggestion["categories"][0]["id"]).first()
        services.dispatch_appeal(appeal, department, category=category, by=wf.SYSTEM, reason="智能派单（置信度高于阈值）", now=now)
    return True


def on_dispatch(appeal: Appeal, source: str) -> None:
    """Every human dispatch decision becomes a labelled example."""
    last = appeal.audit.order_by("-id").values_list("actor_id", flat=True).first()
    if last is None and source != "return_accepted":
        return  # the system's own automatic dispatch teaches nothing
    TrainingExample.objects.create(
        appeal=appeal,
        text=f"{appeal.title}\n{appeal.content}",
        label=appeal.category.code if appeal.category_id and appeal.category else "",
        department_id=appeal.department_id,
        source=source if source in TrainingExample.Source.values else TrainingExample.Source.DISPATCH,
    )


def examples_from_db(*, registered_before: dt.datetime | None = None) -> list[tuple[str, str]]:
    """(text, category code) pairs: corrections first, then every dispatched appeal with a category.

    ``registered_before`` keeps only appeals registered (``created_at``) before that moment, and
    leaves out examples tied to no appeal: a model trained on the result has never seen a later
    appeal, so its suggestions on the later ones can be measured fairly (the demo does this).
    """
    examples = TrainingExample.objects.exclude(label="")
    dispatched = Appeal.objects.filter(category__isnull=False, dispatched_at__isnull=False)
    if registered_before is not None:
        examples = examples.filter(appeal__created_at__lt=registered_before)
        dispatched = dispatched.filter(created_at__lt=registered_before)
    pairs = list(examples.values_list("text", "label"))
    seen = set(TrainingExample.objects.exclude(appeal=None).values_list("appeal_id", flat=True))
    for pk, title, content, code in dispatched.values_list("pk", "title", "content", "category__code").iterator():
        if pk not in seen:
            pairs.append((f"{title}\n{content}", code))
    return pairs


def add_model_suggestions(appeals: QuerySet[Appeal], *, progress: Callable[[int, int], None] | None = None) -> int:
    """Add the serving model's suggestions to those of ``appeals`` whose stored suggestion names no department.

    For appeals registered while no model was installed, whatever their state: the demo's seeded
    history, so that ``/triage/quality`` measures the model on appeals it did not train on. Only the
    model's share is written (categories, departments, reason terms, ``auto_dispatch``, threshold,
    model version); what intake stored (urgency flags, duplicates, place) stays, and an appeal that
    never got a suggestion (an import) gets a whole one. Nothing else
    changes: no priority is raised and no deadline moves (the urgency rules ran at intake and need
    no model), nothing is dispatched, no audit row is written. An appeal given suggestions
    meanwhile is left alone. Predicts in batches; ``progress(advance, total)`` after each.
    Returns how many appeals were given suggestions.
    """
    model = load_model()
    if model is None:
        return 0
    columns = ("pk", "title", "content", "triage", "grid__code", "address", "phone", "priority")
    rows = list(appeals.filter(triage__departments__0__isnull=True).order_by("pk").values_list(*columns))
    stored = 0
    for start in range(0, len(rows), SUGGEST_BATCH):
        batch = rows[start:start + SUGGEST_BATCH]
        predictions = model.predict([f"{row[1]}\n{row[2]}" for row in batch], k=3)
        with transaction.atomic():
            for (pk, title, content, triage, grid_code, address, phone, priority), prediction in zip(batch, predictions, strict=True):
                if triage:
                    suggestion = {**triage, **_model_part(model, prediction, triage.get("grid", grid_code))}
                else:  # never suggested on (an import): the whole suggestion, still without raising the priority
                    suggestion = suggest_for_text(f"{title}\n{content}", address=address, grid_code=grid_code, phone=phone, exclude_id=pk,
                                                  current_priority=priority)
                stored += Appeal.objects.filter(pk=pk, triage__departments__0__isnull=True).update(triage=suggestion)
        if progress is not None:
            progress(len(batch), len(rows))
    return stored


def refresh_open_suggestions() -> int:
    """Recompute suggestions for appeals still waiting for dispatch (after a new model is installed)."""
    from minyi.workflow.machine import State

    count = 0
    waiting = Appeal.objects.filter(status__in=[State.REGISTERED, State.PENDING_DISPATCH]).select_related("grid")
    for appeal in waiting.iterator():
        grid_code = appeal.grid.code if appeal.grid else None
        suggestion = suggest_for_text(f"{appeal.title}\n{appeal.content}", address=appeal.address, grid_code=grid_code,
                                      phone=appeal.phone, exclude_id=appeal.pk, current_priority=appeal.priority)
        Appeal.objects.filter(pk=appeal.pk).update(triage=suggestion)
        count += 1
    return count


def connect() -> None:
    if on_intake not in hooks.AFTER_INTAKE:
        hooks.AFTER_INTAKE.append(on_intake)
    if in_intake not in hooks.IN_INTAKE:
        hooks.IN_INTAKE.append(in_intake)
    if on_dispatch not in hooks.AFTER_DISPATCH:
        hooks.AFTER_DISPATCH.append(on_dispatch)
