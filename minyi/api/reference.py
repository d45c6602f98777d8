"""Reference data the API reads on every request (channels, grid cells, categories), cached per process.

These change a few times a year, through the admin; a few seconds' delay before a new channel code
is accepted costs nothing, while reading them on every intake costs a query each. Any save or delete
of one of these models empties the cache at once in the process that made it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from minyi.directory.models import Category, Channel, GridCell

TTL_S = 30.0
_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def by_code(model: Any, code: str) -> Any:
    """The row of ``model`` with this code, or None; at most ``TTL_S`` seconds old."""
    name = (model._meta.label, code)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(name)
    if hit is not None and now - hit[0] < TTL_S:
        return hit[1]
    obj = model.objects.filter(code=code).first()
    with _lock:
        _cache[name] = (now, obj)
    return obj


def forget(**kwargs: Any) -> None:
    with _lock:
        _cache.clear()


for _model in (Channel, GridCell, Category):
    post_save.connect(forget, sender=_model, dispatch_uid=f"minyi.api.reference.save.{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"minyi.api.reference.delete.{_model.__name__}")
