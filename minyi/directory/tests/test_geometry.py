"""District boundaries: the demo tessellation, `minyi directory load-geojson` and the public GeoJSON."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from minyi.audit.models import SecurityEvent
from minyi.directory import geometry
from minyi.directory.defaults import STREETS, load_defaults
from minyi.directory.models import GridCell, GridShape


def _ring(geom: dict[str, Any]) -> geometry.Ring:
    return [(x, y) for x, y in geom["coordinates"][0][:-1]]


def test_demo_tessellation_tiles_the_district_and_is_deterministic() -> None:
    spec = [(code, [c for c, _, _ in communities]) for code, _, _, communities in STREETS]
    shapes = geometry.demo_tessellation(spec)
    assert shapes == geometry.demo_tessellation(spec)
    district = abs(geometry.area(geometry.outline()))
    streets = [abs(geometry.area(_ring(shapes[code]))) for code, _ in spec]
    assert sum(streets) == pytest.approx(district, rel=1e-3)
    assert min(streets) > district / 20  # no sliver streets
    for code, communities in spec:
        parts = sum(abs(geometry.area(_ring(shapes[c]))) for c in communities)
        assert parts == pytest.approx(abs(geometry.area(_ring(shapes[code]))), rel=1e-3)
        for c in communities:
            assert geometry.geometry_problem(shapes[c]) == ""


@pytest.mark.django_db
def test_load_defaults_gives_every_demo_cell_a_shape_and_keeps_loaded_ones() -> None:
    load_defaults()
    assert GridShape.objects.count() == GridCell.objects.count() == 20
    cell = GridCell.objects.get(code="mhjd-hb")
    square = {"type": "Polygon", "coordinates": [[[120, 31], [120.01, 31], [120.01, 31.01], [120, 31]]]}
    GridShape.objects.filter(cell=cell).update(geometry=square, source=GridShape.Source.LOADED)
    load_defaults()
    assert GridShape.objects.get(cell=cell).geometry == square


def _feature(props: dict[str, Any], coords: Any = None, kind: str = "Polygon") -> dict[str, Any]:
    coords = coords if coords is not None else [[[120.5, 31.2], [120.6, 31.2], [120.6, 31.3], [120.5, 31.2]]]
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


PROJECTED = [[[500000, 3400000], [500100, 3400000], [500100, 3400100], [500000, 3400000]]]  # metres, not degrees


def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "district.geojson"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_load_geojson_matches_by_code_or_name(tmp_path: Path) -> None:
    load_defaults()
    data = {"type": "FeatureCollection", "features": [_feature({"name": "湖滨社区"}), _feature({"code": "qfjd"}, kind="MultiPolygon",
            coords=[[[[120.5, 31.2], [120.7, 31.2], [120.7, 31.4], [120.5, 31.2]]]])]}  # fmt: skip
    out = io.StringIO()
    call_command("directory", "load-geojson", _write(tmp_path, data), stdout=out)
    assert "已载入 2 个" in out.getvalue()
    assert GridShape.objects.get(cell__code="mhjd-hb").source == GridShape.Source.LOADED
    assert GridShape.objects.get(cell__code="qfjd").geometry["type"] == "MultiPolygon"
    assert SecurityEvent.objects.filter(kind="admin_change", target="网格边界").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        ({"type": "Feature"}, "不是 GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "没有任何要素"),
        ({"type": "FeatureCollection", "features": [_feature({"name": "火星社区"})]}, "找不到对应的街道/社区：火星社区"),
        ({"type": "FeatureCollection", "features": [_feature({"foo": 1})]}, "没有 code 或 name 属性"),
        ({"type": "FeatureCollection", "features": [_feature({"name": "湖滨社区"}, kind="Point", coords=[120, 31])]}, "只支持 Polygon"),
        ({"type": "FeatureCollection", "features": [_feature({"name": "湖滨社区"}, [[[120, 31], [121, 31], [121, 32], [120, 32]]])]}, "边界未闭合"),
        ({"type": "FeatureCollection", "features": [_feature({"name": "湖滨社区"}, PROJECTED)]}, "超出经纬度范围"),
        ({"type": "FeatureCollection", "features": [_feature({"name": "湖滨社区"}), _feature({"code": "mhjd-hb"})]}, "是同一个网格"),
    ],
)  # fmt: skip
def test_load_geojson_refuses_bad_files_whole(tmp_path: Path, data: Any, message: str) -> None:
    load_defaults()
    before = {s.cell_id: s.geometry for s in GridShape.objects.all()}
    if isinstance(data, dict) and data.get("features"):
        data["features"].insert(0, _feature({"name": "青石社区"}))  # a good feature first: it must not be written either
    with pytest.raises(CommandError) as err:
        call_command("directory", "load-geojson", _write(tmp_path, data), stdout=io.StringIO())
    assert message in str(err.value)
    assert "边界未载入" in str(err.value)
    assert {s.cell_id: s.geometry for s in GridShape.objects.all()} == before
    assert not SecurityEvent.objects.filter(target="网格边界").exists()


@pytest.mark.django_db
def test_missing_file_is_a_chinese_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("directory", "load-geojson", str(tmp_path / "none.geojson"))


@pytest.mark.django_db
def test_district_geojson_is_public_cacheable_and_has_no_figures() -> None:
    load_defaults()
    response = Client().get("/directory/district.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert "public" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["name"] == "明湖区人民政府"
    assert len(data["features"]) == 20
    props = next(f["properties"] for f in data["features"] if f["properties"]["code"] == "mhjd-mz")
    assert props["name"] == "明珠社区" and props["street"] == "明湖街道" and props["level"] == "community"
    assert set(props) == {"id", "code", "name", "level", "street", "street_id", "cp"}
    again = Client().get("/directory/district.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
