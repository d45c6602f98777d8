"""Near-duplicate detection for appeals.

Two signals, because the 合并 (merge) decision has two shapes:

* the *same text* filed again (copy-paste campaigns, double submissions):
  high char-3-gram Jaccard similarity, whoever filed it;
* the *same matter* filed again in other words: same submitter, or same
  place within a time window, with a moderately similar text.

MinHash-LSH (datasketch) finds candidates for the first signal in
sub-linear time; candidates are then scored with the exact Jaccard of the
hashed shingle sets so that the score shown to the dispatcher is not a
noisy estimate.  Submitter and place candidates come from plain dict
indexes, since those keys are exact.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from datasketch import MinHash, MinHashLSH

from .normalize import normalize_text

__all__ = [
    "DupRecord",
    "DuplicateIndex",
    "DuplicateMatch",
    "find_duplicate_pairs",
    "jaccard",
    "shingles",
]

_NON_CONTENT = re.compile(r"[\W_]+", re.UNICODE)
_NUM_PERM = 128

Shingles = npt.NDArray[np.uint32]


def shingles(text: str, n: int = 3) -> Shingles:
    """Sorted unique CRC32 hashes of char ``n``-grams of the content characters.

    Punctuation and whitespace are dropped first: re-submissions often differ
    only in line breaks, spacing or full-width commas.
    """
    s = _NON_CONTENT.sub("", normalize_text(text)).lower()
    if not s:
        return np.zeros(0, dtype=np.uint32)
    grams = {s[i : i + n] for i in range(max(1, len(s) - n + 1))}
    arr = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint32, count=len(grams))
    return np.unique(arr)


def jaccard(a: Shingles, b: Shingles) -> float:
    if a.size == 0 or b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return float(inter) / float(a.size + b.size - inter)


def _identity(v: int) -> int:
    return v


def _minhash(sh: Shingles) -> MinHash:
    m = MinHash(num_perm=_NUM_PERM, seed=7, hashfunc=_identity)
    if sh.size:
        m.update_batch(sh.tolist())
    return m


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    id: Hashable
    score: float
    reason: str  # "text" | "submitter" | "place"


@dataclass(frozen=True, slots=True)
class DupRecord:
    id: Hashable
    text: str
    submitter: str | None = None
    place: str | None = None
    at: datetime | None = None


@dataclass(slots=True)
class _Stored:
    shingles: Shingles
    submitter: str | None
    place: str | None
    at: datetime | None


class DuplicateIndex:
    """Incremental index; ``add`` on intake, ``query`` before ``add``.

    ``text_threshold``: similarity above which two texts are duplicates
    regardless of who filed them.  ``related_threshold``: lower bar for
    the same submitter, or the same place within ``window``.
    """

    def __init__(
        self,
        text_threshold: float = 0.6,
        related_threshold: float = 0.3,
        window: timedelta = timedelta(days=30),
    ) -> None:
        if not 0.0 < related_threshold <= text_threshold <= 1.0:
            raise ValueError("need 0 < related_threshold <= text_threshold <= 1")
        self.text_threshold = text_threshold
        self.related_threshold = related_threshold
        self.window = window
        # LSH tuned below the text threshold: the exact Jaccard re-check
        # removes false candidates, but it cannot recover missed ones.
        self._lsh = MinHashLSH(threshold=max(0.2, text_threshold - 0.2), num_perm=_NUM_PERM)
        self._items: dict[Hashable, _Stored] = {}
        self._by_submitter: dict[str, list[Hashable]] = {}
        self._by_place: dict[str, list[Hashable]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def add(
        self,
        id: Hashable,
        text: str,
        submitter: str | None = None,
        place: str | None = None,
        at: datetime | None = None,
    ) -> None:
        if id in self._items:
            raise KeyError(f"id {id!r} already indexed")
        _check_aware(at)
        sh = shingles(text)
        self._items[id] = _Stored(sh, submitter or None, place or None, at)
        if sh.size:
            self._lsh.insert(id, _minhash(sh), check_duplication=False)
        if submitter:
            self._by_submitter.setdefault(submitter, []).append(id)
        if place:
            self._by_place.setdefault(place, []).append(id)

    def remove(self, id: Hashable) -> None:
        item = self._items.pop(id)
        if item.shingles.size:
            self._lsh.remove(id)
        if item.submitter:
            self._by_submitter[item.submitter].remove(id)
        if item.place:
            self._by_place[item.place].remove(id)

    def query(
        self,
        text: str,
        submitter: str | None = None,
        place: str | None = None,
        at: datetime | None = None,
        k: int = 10,
        exclude: Hashable | None = None,
    ) -> list[tuple[Hashable, float]]:
        """Top-``k`` ``(id, score)`` candidates, best first."""
        return [(m.id, m.score) for m in self.query_matches(text, submitter, place, at, k, exclude)]

    def query_matches(
        self,
        text: str,
        submitter: str | None = None,
        place: str | None = None,
        at: datetime | None = None,
        k: int = 10,
        exclude: Hashable | None = None,
    ) -> list[DuplicateMatch]:
        _check_aware(at)
        sh = shingles(text)
        return self._query_shingles(sh, submitter, place, at, k, exclude)

    def _query_shingles(
        self,
        sh: Shingles,
        submitter: str | None,
        place: str | None,
        at: datetime | None,
        k: int,
        exclude: Hashable | None,
    ) -> list[DuplicateMatch]:
        best: dict[Hashable, DuplicateMatch] = {}

        def consider(cid: Hashable, threshold: float, reason: str) -> None:
            if cid == exclude or (cid in best and best[cid].reason == "text"):
                return
            score = jaccard(sh, self._items[cid].shingles)
            if score >= threshold and (cid not in best or score > best[cid].score):
                best[cid] = DuplicateMatch(cid, round(score, 4), reason if score < self.text_threshold else "text")

        if sh.size:
            for cid in self._lsh.query(_minhash(sh)):
                consider(cid, self.text_threshold, "text")
        if submitter:
            for cid in self._by_submitter.get(submitter, ()):
                consider(cid, self.related_threshold, "submitter")
        if place:
            for cid in self._by_place.get(place, ()):
                if self._within_window(at, self._items[cid].at):
                    consider(cid, self.related_threshold, "place")
        ranked = sorted(best.values(), key=lambda m: (-m.score, str(m.id)))
        return ranked[:k]

    def _within_window(self, a: datetime | None, b: datetime | None) -> bool:
        # Without timestamps the window cannot be checked; the similarity
        # bar still applies, so err on the side of showing the candidate.
        if a is None or b is None:
            return True
        return abs(a - b) <= self.window


def _check_aware(at: datetime | None) -> None:
    if at is not None and at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")


def find_duplicate_pairs(
    records: Iterable[DupRecord] | Sequence[tuple[Hashable, str]],
    text_threshold: float = 0.6,
    related_threshold: float = 0.3,
    window: timedelta = timedelta(days=30),
) -> list[tuple[Hashable, Hashable, float, str]]:
    """All candidate pairs ``(earlier_id, later_id, score, reason)`` in a batch.

    Records are processed in the given order (sort by time first if the
    window matters); each is compared with the ones before it.
    """
    index = DuplicateIndex(text_threshold, related_threshold, window)
    pairs: list[tuple[Hashable, Hashable, float, str]] = []
    for rec in records:
        r = rec if isinstance(rec, DupRecord) else DupRecord(rec[0], rec[1])
        _check_aware(r.at)
        sh = shingles(r.text)
        for m in index._query_shingles(sh, r.submitter, r.place, r.at, k=1_000_000, exclude=None):
            pairs.append((m.id, r.id, m.score, m.reason))
        index.add(r.id, r.text, r.submitter, r.place, r.at)
    pairs.sort(key=lambda p: -p[2])
    return pairs
