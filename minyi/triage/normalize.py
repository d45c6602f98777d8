"""Text normalisation for citizen-appeal messages.

Real exports are noisy in ways that hurt both classification and duplicate
detection: full-width ASCII typed on Chinese IMEs, HTML indentation runs,
``_x000D_`` artefacts from xlsx conversion, and the masking that the export
applies to user ids, place names and numbers.  Everything here is pure and
deterministic so that training and serving see exactly the same text.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

__all__ = [
    "MASK_NUM",
    "MASK_PLACE",
    "MASK_USER",
    "halfwidth",
    "join_fields",
    "normalize_text",
]

# Placeholder tokens are single CJK-free, segmentation-stable words so that
# jieba keeps them whole and char n-grams do not mix them with real text.
MASK_USER = "〔用户〕"
MASK_NUM = "〔号码〕"
MASK_PLACE = "某"

_FULLWIDTH_OFFSET = 0xFEE0
_XLSX_CR = re.compile(r"_x000[dDaA]_")
_INVISIBLE = re.compile(r"[\u200b\ufeff]+")
# Masked user ids in exports: one or two capital letters and 5+ digits.
# The boundary look-behind sits after the first letter so that the regex
# engine only evaluates it at capital letters (5x faster on long texts).
_USER_ID = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]?\d{5,}(?![A-Za-z0-9])")
# Masked place names: 「A市」「A3区」「K8县」「B12镇」.  The capital letter plus
# optional digits carries no information, but the administrative suffix does.
_MASKED_PLACE = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])\d{0,3}(?=[省市区县镇乡村街])")
# Numbers masked with runs of x/X/*, possibly with digits around them,
# e.g. 138****1234, 4301xxxxxxxx1234, ******.
_MASKED_NUM = re.compile(r"[0-9]*(?:[xX*]{2,}|[*]+)[0-9xX*]*")


def halfwidth(text: str) -> str:
    """Map full-width ASCII (U+FF01..U+FF5E) and the ideographic space to ASCII.

    NFKC would do this too, but it also rewrites circled numbers, units and
    compatibility ideographs, which changes text the dispatcher reads.
    """
    if text.isascii():
        return text
    # numpy over UTF-32 code points is ~3x faster than str.translate, and
    # this runs on every appeal at intake and in batch scoring.
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    fw = (cps >= 0xFF01) & (cps <= 0xFF5E)
    cps[fw] -= _FULLWIDTH_OFFSET
    cps[cps == 0x3000] = 0x20
    return cps.tobytes().decode("utf-32-le")


def normalize_text(text: str | None, *, strip_masks: bool = True) -> str:
    """Return a canonical form of ``text``.

    ``strip_masks`` replaces export masking (user ids, 「A3区」-style place
    codes, x/X/* runs) with fixed placeholders.  Keep it off when the text
    is later shown to people or handed to the address resolver, which needs
    the raw place codes.
    """
    if not text:
        return ""
    text = _XLSX_CR.sub(" ", text)
    text = halfwidth(text)
    # NFC only composes; it never changes what a reader sees, but it makes
    # visually identical strings compare equal for dedup.
    text = unicodedata.normalize("NFC", text)
    if strip_masks:
        text = _USER_ID.sub(MASK_USER, text)
        if "*" in text or "xx" in text.lower():
            text = _MASKED_NUM.sub(MASK_NUM, text)
        text = _MASKED_PLACE.sub(MASK_PLACE, text)
    if "\u200b" in text or "\ufeff" in text:
        text = _INVISIBLE.sub("", text)
    # str.split() without arguments splits on every Unicode space
    # (U+3000, U+00A0, tabs, newlines) and drops the ends.
    return " ".join(text.split())


def join_fields(title: str | None, body: str | None) -> str:
    """Combine title and body the way every triage component expects.

    The title is kept as a separate first line so that feature extraction
    can weight it (titles are short, dense summaries of the topic).
    """
    t = (title or "").strip()
    b = (body or "").strip()
    if t and b:
        return f"{t}\n{b}"
    return t or b
