from __future__ import annotations

import pytest

from minyi.appeals.validators import credit_code_check_char, is_valid_credit_code, mask_phone, normalize_phone


def test_credit_code_checksum() -> None:
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")  # wrong check character
    assert not is_valid_credit_code("91350100M000100Y4")  # too short
    assert not is_valid_credit_code("91350100M000100I43")  # I is not in the alphabet
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(("phone", "masked"), [("13812345678", "138****5678"), ("051265221234", "051*****1234"), ("1234567", "123****"), ("123", "***")])
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_normalize_phone() -> None:
    assert normalize_phone("+86 138 1234 5678") == "13812345678"
