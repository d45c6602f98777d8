"""Detection and masking of personal data in free text.

Detection is deliberately conservative where a checksum exists (ID numbers,
bank cards): an 18-digit string that fails the GB 11643 check is far more
often an order or case number than an ID, and masking it would destroy
information the dispatcher needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import halfwidth

__all__ = [
    "PiiKind",
    "PiiMatch",
    "find_pii",
    "id_checksum_ok",
    "luhn_ok",
    "mask_id_number",
    "mask_phone",
    "mask_pii",
    "pii_kinds",
]

PiiKind = Literal["id_number", "bank_card", "phone", "email", "plate"]


@dataclass(frozen=True, slots=True)
class PiiMatch:
    kind: PiiKind
    start: int
    end: int
    value: str


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Digit runs are matched with look-arounds instead of \b because \b treats
# CJK characters as word characters, so "电话13800138000" would not match.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9])(?:\d[ -]?){15,18}\d(?![0-9])")
_MOBILE_RE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")
_LANDLINE_RE = re.compile(r"(?<![0-9])0\d{2,3}-?\d{7,8}(?![0-9])")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Ordinary plates: province + issuing letter + 5 alphanumerics.  New-energy
# plates have 6 (苏AD12345, 苏A12345D); exports also show a 7-character form
# ending in the energy letter (苏EA12345D).  I and O are never issued, and a
# plate always contains a digit, which keeps words like 京AB CDE out.
_PLATE_RE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Z]\s?(?=[A-HJ-NP-Z0-9]{{0,6}}\d)"
    r"(?:[A-HJ-NP-Z0-9]{6}[DF]|[A-HJ-NP-Z0-9]{5,6}[挂学警港澳]?)"
    r"(?![A-Za-z0-9])"
)


def id_checksum_ok(number: str) -> bool:
    """Validate an 18-character PRC resident ID number (GB 11643-1999)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _plausible_birthdate(number: str) -> bool:
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check used by UnionPay and other bank cards."""
    if not digits.isdigit() or len(digits) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_pii(text: str) -> list[PiiMatch]:
    """Return non-overlapping personal-data matches, ordered by position.

    Offsets refer to ``text`` as given.  Full-width digits are recognised
    because the half-width mapping is one character per character.
    """
    probe = halfwidth(text)
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(kind: PiiKind, m: re.Match[str]) -> None:
        found.append(PiiMatch(kind, m.start(), m.end(), text[m.start() : m.end()]))
        taken.append((m.start(), m.end()))

    # Order matters: the most specific (checksummed) kinds claim spans first.
    for m in _ID_RE.finditer(probe):
        if id_checksum_ok(m.group()) and _plausible_birthdate(m.group()):
            add("id_number", m)
    for m in _CARD_RE.finditer(probe):
        digits = re.sub(r"[ -]", "", m.group())
        if 16 <= len(digits) <= 19 and luhn_ok(digits) and free(m.start(), m.end()):
            add("bank_card", m)
    for m in _EMAIL_RE.finditer(probe):
        if free(m.start(), m.end()):
            add("email", m)
    for rx in (_MOBILE_RE, _LANDLINE_RE):
        for m in rx.finditer(probe):
            if free(m.start(), m.end()):
                add("phone", m)
    for m in _PLATE_RE.finditer(probe):
        if free(m.start(), m.end()):
            add("plate", m)
    found.sort(key=lambda p: p.start)
    return found


def pii_kinds(text: str) -> list[PiiKind]:
    """Distinct kinds present, in first-seen order (for badges in the UI)."""
    seen: list[PiiKind] = []
    for m in find_pii(text):
        if m.kind not in seen:
            seen.append(m.kind)
    return seen


def _keep_ends(value: str, head: int, tail: int, mask: str = "*") -> str:
    if len(value) <= head + tail:
        return mask * len(value)
    return value[:head] + mask * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """Keep the region code's first 3 and the last 4 characters of an ID."""
    return _keep_ends(value, 3, 4)


def mask_phone(value: str) -> str:
    """138****8000: the carrier prefix and last four digits are what staff use."""
    digits_only = re.sub(r"\D", "", value)
    if len(digits_only) == 11 and digits_only.startswith("1"):
        return digits_only[:3] + "****" + digits_only[-4:]
    return _keep_ends(value, 3, 2)


def _mask_match(m: PiiMatch) -> str:
    if m.kind == "id_number":
        return mask_id_number(m.value)
    if m.kind == "phone":
        return mask_phone(m.value)
    if m.kind == "bank_card":
        digits = re.sub(r"\D", "", m.value)
        return _keep_ends(digits, 4, 4)
    if m.kind == "email":
        local, _, domain = m.value.partition("@")
        return _keep_ends(local, 1, 0) + "@" + domain
    # Plates: keep province and issuing-authority letter, which locate the
    # vehicle's home city without identifying the owner.
    return _keep_ends(m.value, 2, 0)


def mask_pii(text: str, kinds: set[PiiKind] | None = None) -> str:
    """Return ``text`` with personal data masked.

    ``kinds`` limits masking to some kinds (e.g. leave plates visible to
    traffic staff); ``None`` masks everything detected.
    """
    out: list[str] = []
    pos = 0
    for m in find_pii(text):
        if kinds is not None and m.kind not in kinds:
            continue
        out.append(text[pos : m.start])
        out.append(_mask_match(m))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
