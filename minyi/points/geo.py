"""Distances, community centres, navigation links and the schematic map (inline SVG, no tiles).

A community's centre is the mean of the coordinates of the active points in it (stands,
scales, service points …), so it needs no other data; a community without any point takes
its street's centre.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Avg
from django.utils.html import escape

from minyi.directory.models import GridCell
from minyi.points.models import Point

EARTH_M = 6_371_000.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class Centre:
    code: str
    name: str
    street: str
    lat: float
    lng: float


def community_centres() -> dict[str, Centre]:
    """Every community's centre, by grid code (see the module docstring)."""
    means = {
        row["grid_id"]: (float(row["lat"]), float(row["lng"]))
        for row in Point.objects.filter(active=True, lat__isnull=False).values("grid_id").annotate(lat=Avg("lat"), lng=Avg("lng"))
    }
    cells = list(GridCell.objects.select_related("parent").order_by("code"))
    by_street: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for cell in cells:
        if cell.level == GridCell.Level.COMMUNITY and cell.pk in means and cell.parent_id:
            by_street[cell.parent_id].append(means[cell.pk])
    centres: dict[str, Centre] = {}
    for cell in cells:
        if cell.level != GridCell.Level.COMMUNITY:
            continue
        spot = means.get(cell.pk)
        if spot is None and cell.parent_id and by_street.get(cell.parent_id):
            around = by_street[cell.parent_id]
            spot = (sum(p[0] for p in around) / len(around), sum(p[1] for p in around) / len(around))
        if spot is not None:
            centres[cell.code] = Centre(cell.code, cell.name, cell.parent.name if cell.parent else "", spot[0], spot[1])
    return centres


def nearest(points: list[Point], lat: float, lng: float, limit: int = 5) -> list[tuple[Point, float]]:
    """The ``limit`` points closest to (lat, lng), with their distances in metres; points without coordinates are left out."""
    placed = [(p, distance_m(lat, lng, float(p.lat), float(p.lng))) for p in points if p.lat is not None and p.lng is not None]
    return sorted(placed, key=lambda pair: pair[1])[:limit]


def nav_link(point: Point) -> str:
    """The navigation link: the configured intranet map, or a ``geo:`` URI that phones open in their map app."""
    if point.lat is None or point.lng is None:
        return ""
    lat, lng = f"{float(point.lat):.6f}", f"{float(point.lng):.6f}"
    template = getattr(settings, "MINYI_MAP_NAV_URL", "")
    if template:
        return str(template).format(lat=lat, lng=lng, name=quote(point.name))
    return f"geo:{lat},{lng}?q={lat},{lng}({quote(point.name)})"


# Colours by service, for the schematic map's dots and legend (presentation attributes: the CSP forbids inline style).
COLOURS = ["#a4161a", "#1d4ed8", "#15803d", "#b45309", "#7c3aed", "#0e7490", "#be185d", "#4d7c0f", "#9a3412", "#334155"]


def colour_of(service: str) -> str:
    values = list(Point.Service.values)
    return COLOURS[values.index(service) % len(COLOURS)] if service in values else "#555555"


def schematic_svg(
    centres: dict[str, Centre], shown: list[Point], *, chosen: str = "", ranked: list[tuple[Point, float]] | None = None, width: int = 600, height: int = 420
) -> str:
    """A schematic map as inline SVG: community centres (labelled), the shown points as dots, the nearest ones numbered."""
    spots = [(c.lat, c.lng) for c in centres.values()] + [(float(p.lat), float(p.lng)) for p in shown if p.lat is not None and p.lng is not None]
    if not spots:
        return ""
    lat_lo, lat_hi = min(s[0] for s in spots), max(s[0] for s in spots)
    lng_lo, lng_hi = min(s[1] for s in spots), max(s[1] for s in spots)
    pad = 24
    span_lat, span_lng = max(lat_hi - lat_lo, 1e-6), max(lng_hi - lng_lo, 1e-6)
    # Keep the aspect ratio (one degree of longitude is shorter than one of latitude at this latitude).
    squash = math.cos(math.radians((lat_lo + lat_hi) / 2))
    scale = min((width - 2 * pad) / (span_lng * squash), (height - 2 * pad) / span_lat)

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return pad + (lng - lng_lo) * squash * scale, height - pad - (lat - lat_lo) * scale

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="schematic" role="img" aria-label="服务网点示意图">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f8" stroke="#c8ced6"/>',
    ]
    for p in shown:
        if p.lat is None or p.lng is None:
            continue
        x, y = xy(float(p.lat), float(p.lng))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour_of(p.service)}" opacity="0.75"><title>{escape(p.name)}</title></circle>')
    for c in centres.values():
        x, y = xy(c.lat, c.lng)
        here = c.code == chosen
        bold = ' font-weight="bold"' if here else ""
        ring = 'r="7" fill="#f0a500" stroke-width="2"' if here else 'r="4" fill="#ffffff" stroke-width="1"'
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" {ring} stroke="#1a1a1a"/>'
            f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="{13 if here else 10}" fill="#1a1a1a"{bold}>{escape(c.name)}</text>'
        )
    for i, (p, _) in enumerate(ranked or [], start=1):
        x, y = xy(float(p.lat or 0), float(p.lng or 0))  # ranked points always have coordinates (see ``nearest``)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{colour_of(p.service)}" stroke="#ffffff" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#ffffff" text-anchor="middle" font-weight="bold">{i}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def close_up(centres: dict[str, Centre], shown: list[Point], chosen: str, ranked: list[tuple[Point, float]]) -> str:
    """The schematic map around the chosen community and its nearest points only (readable on a phone)."""
    centre = centres.get(chosen)
    if centre is None or not ranked:
        return ""
    lats = [centre.lat, *(float(p.lat) for p, _ in ranked)]  # type: ignore[arg-type]
    lngs = [centre.lng, *(float(p.lng) for p, _ in ranked)]  # type: ignore[arg-type]
    margin_lat = max((max(lats) - min(lats)) * 0.25, 0.002)
    margin_lng = max((max(lngs) - min(lngs)) * 0.25, 0.002)
    lo_lat, hi_lat, lo_lng, hi_lng = min(lats) - margin_lat, max(lats) + margin_lat, min(lngs) - margin_lng, max(lngs) + margin_lng

    def inside(lat: float, lng: float) -> bool:
        return lo_lat <= lat <= hi_lat and lo_lng <= lng <= hi_lng

    near_centres = {code: c for code, c in centres.items() if inside(c.lat, c.lng)}
    near_points = [p for p in shown if p.lat is not None and p.lng is not None and inside(float(p.lat), float(p.lng))]
    return schematic_svg(near_centres, near_points, chosen=chosen, ranked=ranked, width=320, height=220)


def legend(services: list[str]) -> list[dict[str, Any]]:
    labels = dict(Point.Service.choices)
    return [{"code": s, "label": labels[s], "colour": colour_of(s)} for s in services if s in labels]
