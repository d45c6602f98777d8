"""Chinese text handling for retrieval: synonym folding, word segmentation, char n-grams, sentences.

Pure Python (jieba only); no Django import, so the benchmark and the tests can use it directly.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache

import jieba

_JIEBA_LOCK = threading.Lock()
_JIEBA_WORDS: set[str] = set()
jieba.setLogLevel(60)

# Function words and question words that say nothing about the topic.
STOPWORDS = frozenset(
    """的 了 吗 呢 吧 啊 呀 么 是 在 和 与 及 或 我 我们 你 你们 您 他 她 它 这 那 这个 那个 哪个 一个 一下 个 有 没有 要 想 能 会
    可以 可不可以 能否 是否 请问 请 问 麻烦 需要 应该 怎么 怎样 怎么样 如何 什么 啥 多少 哪些 哪里 哪儿 为什么 去 到 给 让 就 都 也 还
    又 把 被 对 从 向 上 下 里 中 吗？ 谢谢 您好 你好 一些 现在 已经 如果 因为 所以 但是 而且 自己 家 条 只 关于 办 办理 申请 事 事情 咨询
    准备 携带 带 提交 一年 一次 开""".split()  # noqa: SIM905 — a word list reads better as text
)

STOP_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1)

_PUNCT = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~“”‘’…—·、]+")
_WORDY = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")


def add_words(words: Iterable[str]) -> None:
    """Teach jieba domain words (card titles' key terms, synonyms) once per process."""
    with _JIEBA_LOCK:
        for w in words:
            w = w.strip()
            if len(w) >= 2 and w not in _JIEBA_WORDS:
                jieba.add_word(w, freq=20000)
                _JIEBA_WORDS.add(w)


class SynonymMap:
    """Colloquial term → canonical term, applied as longest-first substring replacement."""

    def __init__(self, pairs: Mapping[str, str] | None = None) -> None:
        self.pairs = {k.strip(): v.strip() for k, v in (pairs or {}).items() if k.strip() and v.strip() and k.strip() != v.strip()}
        # Canonical terms match too (and map to themselves), so "住房公积金" is not folded again
        # by the rule 公积金 → 住房公积金. Longest first.
        self._map = {**{v: v for v in self.pairs.values()}, **self.pairs}
        terms = sorted(self._map, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(t) for t in terms)) if terms else None
        add_words([*self.pairs, *self.pairs.values()])

    def fold(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._map[m.group(0)], text)


NO_SYNONYMS = SynonymMap()


def normalize(text: str) -> str:
    """Full-width to half-width letters/digits, lower case."""
    return text.translate(_FULLWIDTH).lower()


_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c).isalnum()}


def words(text: str, synonyms: SynonymMap = NO_SYNONYMS, keep_stopwords: bool = False) -> list[str]:
    """Segmented content words after synonym folding (precise jieba mode)."""
    folded = synonyms.fold(normalize(text))
    out = []
    for w in jieba.lcut(folded, HMM=False):  # no HMM: unknown runs stay single chars, predictably
        w = w.strip()
        if not w or not _WORDY.search(w) or _PUNCT.fullmatch(w):
            continue
        if not keep_stopwords and w in STOPWORDS:
            continue
        out.append(w)
    return out


def char_ngrams(text: str, synonyms: SynonymMap = NO_SYNONYMS, n: int = 2) -> list[str]:
    """Char bigrams within runs of CJK/alphanumerics (robust to segmentation mistakes and typos)."""
    folded = synonyms.fold(normalize(text))
    grams: list[str] = []
    for run in _PUNCT.split(folded):
        run = "".join(ch for ch in run if _WORDY.match(ch))
        if len(run) < n:
            if run:
                grams.append(run)
            continue
        grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def sentences(text: str) -> list[str]:
    """Split on Chinese sentence ends and line breaks; keeps the end mark; drops list bullets' markup only."""
    out = []
    for part in _SENTENCE_END.split(text or ""):
        s = part.strip()
        if s and _WORDY.search(s):
            out.append(s)
    return out


@lru_cache(maxsize=4096)
def char_set(text: str) -> frozenset[str]:
    return frozenset(normalize(text))


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)\d{4}(\d{3,4})(?!\d)")


def mask_personal(text: str, landlines: bool = True) -> str:
    """Mask mobile numbers, ID card numbers and (in citizens' text) landlines in harvested appeal text."""
    text = _ID.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1****\2", text) if landlines else text
