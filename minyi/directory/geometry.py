"""Boundaries of 街道 and 社区: the demo district's generated polygons and the checks on a loaded GeoJSON.

Pure functions (no Django): the demo 明湖区 gets a deterministic tessellation — its outline is
cut into street cells by a Voronoi partition of one seed point per street, and each street
into community cells the same way — so that every map draws the same district offline.
A real district loads its own GeoJSON (``minyi directory load-geojson``), checked here first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Point = tuple[float, float]
Ring = list[Point]

# The demo district: a fictional place, drawn around an arbitrary point east of a lake.
CENTRE: Point = (120.62, 31.30)
RADIUS: Point = (0.085, 0.065)  # degrees of longitude, latitude


def outline(points: int = 40) -> Ring:
    """A lobed outline of the district (deterministic), counter-clockwise."""
    ring = []
    for i in range(points):
        a = 2 * math.pi * i / points
        r = 1 + 0.12 * math.sin(3 * a + 0.4) + 0.06 * math.cos(5 * a)
        ring.append((CENTRE[0] + RADIUS[0] * r * math.cos(a), CENTRE[1] + RADIUS[1] * r * math.sin(a)))
    return ring


def clip(poly: Ring, normal: Point, limit: float) -> Ring:
    """Sutherland–Hodgman: the part of ``poly`` where normal · p <= limit."""

    def inside(p: Point) -> bool:
        return normal[0] * p[0] + normal[1] * p[1] <= limit + 1e-12

    def cross(p: Point, q: Point) -> Point:
        dp = normal[0] * p[0] + normal[1] * p[1] - limit
        dq = normal[0] * q[0] + normal[1] * q[1] - limit
        t = dp / (dp - dq)
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    out: Ring = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(cross(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(cross(prev, cur))
    return out


def voronoi(region: Ring, seeds: Sequence[Point]) -> list[Ring]:
    """The cell of each seed within ``region``: the points nearer to it than to any other seed."""
    cells = []
    for i, p in enumerate(seeds):
        poly = list(region)
        for j, q in enumerate(seeds):
            if i != j:
                # |x − p|² ≤ |x − q|²  ⇔  2(q − p)·x ≤ |q|² − |p|²
                poly = clip(poly, (2 * (q[0] - p[0]), 2 * (q[1] - p[1])), q[0] ** 2 + q[1] ** 2 - p[0] ** 2 - p[1] ** 2)
        cells.append(poly)
    return cells


def area(ring: Ring) -> float:
    return sum(ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1] for i in range(len(ring))) / 2


def centroid(ring: Ring) -> Point:
    a = area(ring)
    if abs(a) < 1e-15:
        xs, ys = zip(*ring, strict=True)
        return (sum(xs) / len(xs), sum(ys) / len(ys))
    cx = sum((ring[i - 1][0] + ring[i][0]) * (ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1]) for i in range(len(ring)))
    cy = sum((ring[i - 1][1] + ring[i][1]) * (ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1]) for i in range(len(ring)))
    return (cx / (6 * a), cy / (6 * a))


def polygon(ring: Ring) -> dict[str, Any]:
    """A GeoJSON Polygon, closed, counter-clockwise, at 1e-5° (about a metre)."""
    pts = [[round(x, 5), round(y, 5)] for x, y in ring]
    if area(ring) < 0:
        pts.reverse()
    return {"type": "Polygon", "coordinates": [[*pts, pts[0]]]}


def demo_tessellation(streets: Sequence[tuple[str, Sequence[str]]]) -> dict[str, dict[str, Any]]:
    """Cell code → GeoJSON geometry for streets (in the given order) and their communities.

    The first street sits in the middle, the others around it; each street's communities
    are spread on a small ring around the street's centre. Same input, same polygons.
    """
    region = outline()
    n = len(streets)
    seeds: list[Point] = []
    for i in range(n):
        if i == 0:
            seeds.append((CENTRE[0] - 0.1 * RADIUS[0], CENTRE[1] + 0.05 * RADIUS[1]))
            continue
        a = 2 * math.pi * (i - 1) / max(n - 1, 1) + 0.3
        seeds.append((CENTRE[0] + 0.62 * RADIUS[0] * math.cos(a), CENTRE[1] + 0.62 * RADIUS[1] * math.sin(a)))
    shapes: dict[str, dict[str, Any]] = {}
    for (code, communities), cell in zip(streets, voronoi(region, seeds), strict=True):
        shapes[code] = polygon(cell)
        if not communities:
            continue
        c = centroid(cell)
        span = min(max(x for x, _ in cell) - min(x for x, _ in cell), max(y for _, y in cell) - min(y for _, y in cell))
        k = len(communities)
        inner = [c] if k == 1 else [
            (c[0] + 0.22 * span * math.cos(2 * math.pi * j / k + 0.7), c[1] + 0.22 * span * math.sin(2 * math.pi * j / k + 0.7)) for j in range(k)
        ]  # fmt: skip
        for sub, sub_cell in zip(communities, voronoi(cell, inner), strict=True):
            shapes[sub] = polygon(sub_cell)
    return shapes


# -- checking a loaded GeoJSON ------------------------------------------------------------------------------------


class GeoJSONError(ValueError):
    """Every problem found in a file, in Chinese, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Checked:
    """A feature that passed: the matching cell's id and its geometry."""

    shapes: dict[int, dict[str, Any]] = field(default_factory=dict)


def parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJSONError([f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近格式错误"]) from exc


def _ring_problem(ring: Any) -> str:
    if not isinstance(ring, list) or len(ring) < 4:
        return "边界点少于 4 个"
    for pos in ring:
        if not (isinstance(pos, list | tuple) and len(pos) >= 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos[:2])):
            return "坐标不是 [经度, 纬度] 数值"
        if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            return f"坐标 {pos[:2]} 超出经纬度范围（应为 WGS84/GCJ-02 经纬度，而不是投影坐标）"
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "边界未闭合（首尾坐标不同）"
    return ""


def geometry_problem(geometry: Any) -> str:
    """'' when ``geometry`` is a usable Polygon or MultiPolygon, else what is wrong with it."""
    if not isinstance(geometry, dict):
        return "缺少 geometry"
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords if isinstance(coords, list) else [None]
    else:
        return f"几何类型为 {kind or '空'}，只支持 Polygon 或 MultiPolygon"
    if not polygons:
        return "MultiPolygon 没有多边形"
    for poly in polygons:
        if not isinstance(poly, list) or not poly:
            return "多边形没有边界"
        for ring in poly:
            if problem := _ring_problem(ring):
                return problem
    return ""


def check(data: Any, cells: Sequence[Mapping[str, Any]], key: str | None = None) -> Checked:
    """Match each feature to a grid cell (by ``key``, or by "code" then "name") and check its geometry.

    ``cells`` are dicts with id, code and name. Raises :class:`GeoJSONError` with every problem
    found; returns the shapes only when there is none.
    """
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise GeoJSONError(['文件不是 GeoJSON FeatureCollection（顶层应为 {"type": "FeatureCollection", "features": [...]}）'])
    if not data["features"]:
        raise GeoJSONError(["文件中没有任何要素（features 为空）"])
    by_code = {str(c["code"]): c for c in cells}
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for c in cells:
        by_name.setdefault(str(c["name"]), []).append(c)
    result = Checked()
    seen: dict[int, int] = {}
    unknown: list[str] = []
    for n, feature in enumerate(data["features"], 1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        keys = [key] if key else ["code", "name", "NAME", "名称"]
        values = [(k, str(props[k])) for k in keys if props.get(k) not in (None, "")]
        label = values[0][1] if values else ""
        where = f"第 {n} 个要素" + (f"（{label}）" if label else "")
        if not values:
            problems.append(f"{where}没有{'“' + key + '”' if key else ' code 或 name '}属性，无法对应到街道/社区")
            continue
        cell: Mapping[str, Any] | None = None
        ambiguous = ""
        for k, value in values:
            if k == "code" and value in by_code:
                cell = by_code[value]
                break
            matches = by_name.get(value, []) if k != "code" else []
            if len(matches) == 1:
                cell = matches[0]
                break
            if len(matches) > 1:
                ambiguous = f"{where}：网格目录中有 {len(matches)} 个同名的“{value}”，请在要素中加 code 属性（网格编码）"
        if cell is None:
            if ambiguous:
                problems.append(ambiguous)
            else:
                unknown.append(label)
            continue
        if problem := geometry_problem(feature.get("geometry")):
            problems.append(f"{where}：{problem}")
            continue
        if cell["id"] in seen:
            problems.append(f"{where}与第 {seen[cell['id']]} 个要素是同一个网格“{cell['name']}”")
            continue
        seen[cell["id"]] = n
        result.shapes[int(cell["id"])] = feature["geometry"]
    if unknown:
        problems.append(
            f"以下 {len(unknown)} 个要素在网格目录中找不到对应的街道/社区：{'、'.join(unknown[:20])}{' 等' if len(unknown) > 20 else ''}"
            "（请先在后台“网格”中建立，或用 --key 指定与网格编码/名称对应的属性）"
        )
    if problems:
        raise GeoJSONError(problems)
    return result
