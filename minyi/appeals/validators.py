"""Checks for identifiers that appear on appeals."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{5,8})$")


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """统一社会信用代码 (GB 32100-2015): 18 characters, the last a mod-31 check character."""
    code = code.strip().upper()
    if not _CREDIT_RE.match(code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def validate_credit_code(code: str) -> None:
    if not is_valid_credit_code(code):
        raise ValidationError("统一社会信用代码无效：应为 18 位，且校验位正确", code="credit_code")


def normalize_phone(phone: str) -> str:
    return re.sub(r"[\s()（）]", "", phone).replace("+86", "")


def validate_phone(phone: str) -> None:
    if not _PHONE_RE.match(normalize_phone(phone)):
        raise ValidationError("联系电话格式不正确：请填写 11 位手机号或带区号的固定电话", code="phone")


def mask_phone(phone: str) -> str:
    """138****5678 — keeps enough to recognise a caller, not enough to dial."""
    if len(phone) > 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    if len(phone) == 7:
        return phone[:3] + "****"
    return "*" * len(phone)
