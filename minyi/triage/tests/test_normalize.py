from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minyi.triage.normalize import MASK_NUM, MASK_USER, halfwidth, join_fields, normalize_text


def test_fullwidth_ascii_becomes_halfwidth() -> None:
    assert halfwidth("ＡＢＣ１２３，！（）") == "ABC123,!()"
    assert normalize_text("电话：１３８") == "电话:138"


def test_ideographic_space_and_whitespace_runs_collapse() -> None:
    assert normalize_text("\n\t\t  你好\u3000\u3000世界 \n\t") == "你好 世界"


def test_xlsx_carriage_return_artifact_removed() -> None:
    assert normalize_text("第一行_x000D_第二行") == "第一行 第二行"


def test_masked_user_ids_replaced() -> None:
    out = normalize_text("用户A00074011和U0007047反映")
    assert "A00074011" not in out
    assert "U0007047" not in out
    assert out.count(MASK_USER) == 2


def test_masked_place_codes_keep_admin_suffix() -> None:
    assert normalize_text("A市A3区K8县某路") == "某市某区某县某路"


def test_masked_numbers_collapse_to_one_token() -> None:
    out = normalize_text("电话138****1234，身份证4301xxxxxxxx1234，卡号******")
    assert out.count(MASK_NUM) == 3
    assert "*" not in out
    assert "xxxx" not in out


def test_strip_masks_off_keeps_raw_codes() -> None:
    assert normalize_text("A市A3区", strip_masks=False) == "A市A3区"


def test_plain_words_with_x_are_not_masks() -> None:
    assert normalize_text("Linux系统") == "Linux系统"


def test_empty_and_none() -> None:
    assert normalize_text(None) == ""
    assert normalize_text("  \n ") == ""


def test_join_fields_puts_title_first_line() -> None:
    assert join_fields(" 标题 ", "正文") == "标题\n正文"
    assert join_fields("", "正文") == "正文"


@given(st.text(alphabet=st.sampled_from(list("A1x*X市区县 \t\n３Ｂ_0D你好，")), max_size=40))
def test_normalize_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
