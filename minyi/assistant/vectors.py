"""Dense vectors of past replies and open appeals (``dense.py``): the archive's in the background, an appeal's once.

* A past reply gets two vectors (its appeal's and its reply's) from ``embed_past_replies``, which
  ``minyi assistant embed`` and the periodic ``assistant.embed`` job run. They are written with
  ``QuerySet.update``, so the row's ``updated_at`` stays and the live index only reads the new
  vectors (``past_reply_index``), without a rebuild.
* An open appeal's vector is computed by the same periodic job for the newest open appeals
  (``warm_open_appeals``), or else the first time the reply form asks for similar replies (about
  0.25 s, once the archive has vectors), and kept in the cache for a month.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from minyi.assistant.dense import Embedder, Vector, embedder, from_bytes, to_bytes
from minyi.assistant.models import PastReply

log = logging.getLogger(__name__)
BATCH = 32
APPEAL_TTL = 60 * 60 * 24 * 30  # a month: most appeals are answered well within it


def current() -> Embedder:
    return embedder(settings.MINYI_EMBEDDER)


def enabled() -> bool:
    return current().name != "none"


def embed_past_replies(*, limit: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Give every past reply without vectors its two vectors; returns how many rows were done.

    A row with no text to embed is stored with empty bytes, so it is not tried again.
    """
    e = current()
    if e.name == "none":
        return 0
    todo = PastReply.objects.filter(reply_vector__isnull=True).order_by("id")
    total = todo.count() if limit is None else min(limit, todo.count())
    done = 0
    while done < total:
        rows = list(todo.values_list("id", "title", "content", "reply_text")[: min(BATCH, total - done)])
        if not rows:
            break
        replies = e.replies([r[3] for r in rows])
        for (pk, title, content, _reply), rv in zip(rows, replies, strict=True):
            av = e.appeal(title, content)
            PastReply.objects.filter(pk=pk).update(
                reply_vector=to_bytes(rv) if rv is not None else b"", appeal_vector=to_bytes(av) if av is not None else b""
            )
        done += len(rows)
        if progress is not None:
            progress(done, total)
    if done:
        log.info("assistant: embedded %s past replies with %s", done, e.name)
    return done


def _appeal_key(pk: int, title: str, content: str) -> str:
    digest = hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()[:16]
    return f"minyi:assistant:vector:{pk}:{digest}"


def appeal_vector(pk: int, title: str, content: str, *, compute: bool = True) -> Vector | None:
    """The appeal's vector from the cache; computed (about 0.3 s) and cached when missing and ``compute``."""
    e = current()
    if e.name == "none":
        return None
    key = _appeal_key(pk, title, content)
    hit = cache.get(key)
    if hit is not None:
        return from_bytes(hit)
    if not compute:
        return None
    v = e.appeal(title, content)
    cache.set(key, to_bytes(v) if v is not None else b"", APPEAL_TTL)
    return v


def draft_vector(reply: str) -> Vector | None:
    """A draft reply's vector, cached by its text: the handler's 答复质检 button computes it, so the
    check at 提交答复 (inside that action's transaction) usually finds it ready."""
    e = current()
    if e.name == "none" or not reply.strip():
        return None
    key = "minyi:assistant:draft:" + hashlib.sha256(reply.encode()).hexdigest()[:32]
    hit = cache.get(key)
    if hit is not None:
        return from_bytes(hit)
    v = e.replies([reply])[0]
    cache.set(key, to_bytes(v) if v is not None else b"", APPEAL_TTL)
    return v


def warm_open_appeals(*, limit: int = 200) -> int:
    """Compute and cache the vectors of the newest open appeals that lack one; returns how many.

    Only once the archive has vectors (until then the index has no use for them).
    """
    from minyi.appeals.models import SLA_OPEN, Appeal

    if not enabled() or not PastReply.objects.filter(reply_vector__isnull=False).exists():
        return 0
    done = 0
    for pk, title, content in Appeal.objects.filter(status__in=SLA_OPEN).order_by("-id").values_list("id", "title", "content")[: limit * 5]:
        if done >= limit:
            break
        if appeal_vector(pk, title, content, compute=False) is None:
            appeal_vector(pk, title, content)
            done += 1
    return done
