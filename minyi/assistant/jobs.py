"""The assistant's background work: dense vectors for newly archived past replies and for open appeals."""

from __future__ import annotations

from minyi.jobs.periodic import periodic

EMBED_PER_RUN = 200  # about two minutes of one core; the rest waits for the next run


@periodic("assistant.embed", every=600, timeout=3600)
def embed() -> None:
    from minyi.assistant.vectors import embed_past_replies, warm_open_appeals

    embed_past_replies(limit=EMBED_PER_RUN)
    warm_open_appeals(limit=EMBED_PER_RUN)
