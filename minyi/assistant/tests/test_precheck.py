from __future__ import annotations

import pytest

from minyi.assistant import services
from minyi.assistant.models import Card
from minyi.assistant.precheck import precheck

MATERIALS = [
    {"name": "居民身份证", "note": "原件", "keywords": ["身份证"]},
    {"name": "购车发票", "keywords": ["发票"]},
    {"name": "产品合格证", "keywords": ["合格证"]},
    {"name": "居住证", "required": False, "keywords": ["居住证"]},
]


def test_missing_materials_are_named() -> None:
    result = precheck(MATERIALS, ["张三身份证正面.jpg", "IMG_0001.png"])
    assert result.matched == [("居民身份证", "张三身份证正面.jpg")]
    assert result.missing == ["购车发票", "产品合格证"]
    assert result.optional_missing == ["居住证"]
    assert result.unused == ["IMG_0001.png"]
    assert result.message() == "还缺少以下材料：购车发票、产品合格证。"


def test_complete_set_by_names_or_types() -> None:
    result = precheck(MATERIALS, ["身份证.pdf", "发票", "车辆合格证.JPG"])
    assert result.complete
    assert result.message() == "材料齐全，可以提交。"


def test_one_file_satisfies_one_material() -> None:
    # "居住证" must not also count as the 居民身份证 (different material).
    result = precheck(MATERIALS, ["居住证.jpg"])
    assert result.matched == [("居住证", "居住证.jpg")]
    assert "居民身份证" in result.missing


def test_fuzzy_name_match_for_long_names() -> None:
    materials = [{"name": "经营场所平面布局图", "keywords": []}]
    assert precheck(materials, ["店铺经营场所平面布局.pdf"]).complete
    assert not precheck(materials, ["平面.pdf"]).complete


@pytest.mark.usefixtures("kb")
def test_precheck_against_a_servable_card_only() -> None:
    _card, result = services.precheck_card("transport-ebike-registration", ["身份证.jpg", "发票.jpg", "合格证.jpg"])
    assert result.complete
    with pytest.raises(Card.DoesNotExist):
        services.precheck_card("employment-stable-jobs-2024", ["申请表.pdf"])
