from __future__ import annotations

import pytest

from minyi.triage.pii import find_pii, id_checksum_ok, luhn_ok, mask_id_number, mask_phone, mask_pii, pii_kinds

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(first17: str) -> str:
    # Independent re-implementation of GB 11643 so the test does not trust
    # the code under test for the expected value.
    s = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[s % 11]


VALID_ID = make_id("43010219900307123")
VALID_ID_X = "11010519491231002X"  # the standard's published example


def test_checksum_accepts_valid_ids() -> None:
    assert id_checksum_ok(VALID_ID)
    assert id_checksum_ok(VALID_ID_X)
    assert id_checksum_ok(VALID_ID_X.lower())


@pytest.mark.parametrize("bad", ["11010519491231002Y", "110105194912310021", "1101051949123100", "A1010519491231002X"])
def test_checksum_rejects_invalid(bad: str) -> None:
    assert not id_checksum_ok(bad)


def test_id_found_only_when_checksum_valid() -> None:
    wrong_last = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    kinds = [m.kind for m in find_pii(f"身份证{VALID_ID}，另一个{wrong_last}")]
    assert kinds.count("id_number") == 1


def test_mask_id_number_keeps_only_ends() -> None:
    masked = mask_id_number(VALID_ID)
    assert masked == VALID_ID[:3] + "*" * 11 + VALID_ID[-4:]
    out = mask_pii(f"我的身份证是{VALID_ID}。")
    assert VALID_ID not in out
    assert VALID_ID[3:14] not in out
    assert out.startswith("我的身份证是")
    assert out.endswith("。")


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_bank_card_detected_and_masked() -> None:
    text = "退款请打到卡号6222 0202 0000 0000 007？不对，是4111111111111111"
    kinds = [m.kind for m in find_pii(text)]
    assert "bank_card" in kinds
    assert "4111111111111111" not in mask_pii(text)


def test_phone_email_plate() -> None:
    text = "联系电话13912345678或0731-84561234，邮箱zhang.san@example.com，车牌苏E12345，新能源苏EA12345D和湘AD12345。"
    found = {(m.kind, m.value) for m in find_pii(text)}
    assert ("phone", "13912345678") in found
    assert ("phone", "0731-84561234") in found
    assert ("email", "zhang.san@example.com") in found
    assert ("plate", "苏E12345") in found
    assert ("plate", "苏EA12345D") in found
    assert ("plate", "湘AD12345") in found
    assert pii_kinds(text) == ["phone", "email", "plate"]


def test_fullwidth_phone_detected_with_original_offsets() -> None:
    text = "电话１３９１２３４５６７８"
    (m,) = find_pii(text)
    assert m.kind == "phone"
    assert text[m.start : m.end] == "１３９１２３４５６７８"


def test_mask_phone_format() -> None:
    assert mask_phone("13912345678") == "139****5678"


def test_mask_subset_of_kinds() -> None:
    text = "车牌苏E12345，电话13912345678"
    out = mask_pii(text, kinds={"phone"})
    assert "苏E12345" in out
    assert "13912345678" not in out


def test_plain_numbers_are_not_pii() -> None:
    assert find_pii("共有123456户，面积2000平方米，2019年3月") == []
