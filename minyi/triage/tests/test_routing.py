from __future__ import annotations

import json
from pathlib import Path

from minyi.triage.routing import Gazetteer, Location, RoutingTable

GAZ = {
    "streets": [
        {
            "name": "东湖街道",
            "aliases": ["东湖街"],
            "department": "东湖街道办事处",
            "communities": [
                {"name": "西山社区", "aliases": ["西山小区", "建设路"]},
                {"name": "南门社区", "aliases": ["南门小区"]},
            ],
        },
        {
            "name": "北城街道",
            "department": "北城街道办事处",
            "communities": [{"name": "幸福社区", "aliases": ["幸福里", "建设路"]}],
        },
    ]
}
TABLE = {
    "default_department": "热线办人工分派",
    "categories": {
        "交通运输": {"department": "区交通运输局"},
        "环境保护": {"department": "区生态环境分局", "territorial": True, "grid": {"西山社区": "西山社区网格站"}},
        "城乡建设": {"department": "区住建局", "territorial": True},
    },
    "grid_departments": {"南门社区": "南门社区居委会"},
}


def test_alias_resolves_to_street_and_community() -> None:
    loc = Gazetteer(GAZ).resolve("我住在西山小区3栋，楼下餐馆油烟很大")
    assert (loc.street, loc.community) == ("东湖街道", "西山社区")
    assert "西山小区" in loc.matched


def test_ambiguous_alias_decided_by_other_mention() -> None:
    # 建设路 exists in two streets; 北城街道 in the text breaks the tie.
    loc = Gazetteer(GAZ).resolve("北城街道建设路路灯不亮")
    assert loc.street == "北城街道"
    assert loc.community == "幸福社区"


def test_unknown_address() -> None:
    assert Gazetteer(GAZ).resolve("火星基地") == Location(None, None)


def test_functional_category_ignores_grid() -> None:
    d = RoutingTable(TABLE).route("交通运输", Location("东湖街道", "西山社区"))
    assert d.department == "区交通运输局"
    assert not d.territorial
    assert not d.fallback


def test_territorial_category_uses_category_grid_then_district_grid_then_street() -> None:
    rt, gz = RoutingTable(TABLE), Gazetteer(GAZ)
    assert rt.route("环境保护", Location("东湖街道", "西山社区"), gz).department == "西山社区网格站"
    assert rt.route("环境保护", Location("东湖街道", "南门社区"), gz).department == "南门社区居委会"
    assert rt.route("城乡建设", Location("北城街道", "幸福社区"), gz).department == "北城街道办事处"


def test_territorial_without_grid_falls_back_to_category_department() -> None:
    d = RoutingTable(TABLE).route("城乡建设", None)
    assert d.department == "区住建局"
    assert d.fallback


def test_unconfigured_category_goes_to_default() -> None:
    d = RoutingTable(TABLE).route("外星事务")
    assert d.department == "热线办人工分派"
    assert d.fallback


def test_json_config_roundtrip(tmp_path: Path) -> None:
    p = tmp_path / "gaz.json"
    p.write_text(json.dumps(GAZ, ensure_ascii=False), encoding="utf-8-sig")
    assert Gazetteer.from_json(p).resolve("东湖街").street == "东湖街道"
