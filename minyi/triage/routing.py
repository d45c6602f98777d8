"""Category → department routing and address → 街道/社区 resolution.

Both are configured from plain dicts (typically loaded from JSON that the
district edits), because responsibilities are reorganised far more often
than the classifier is retrained.  Nothing here knows about Django.

Routing table format::

    {
      "default_department": "区12345热线办",
      "categories": {
        "城乡建设": {"department": "区住建局"},
        "环境保护": {"department": "区生态环境分局", "territorial": true,
                     "grid": {"东风街道": "东风街道办事处"}}
      },
      "grid_departments": {"东风街道": "东风街道办事处"}
    }

Gazetteer format::

    {
      "streets": [
        {"name": "东风街道", "aliases": ["东风街"], "department": "东风街道办事处",
         "communities": [{"name": "幸福社区", "aliases": ["幸福小区", "幸福路"]}]}
      ]
    }
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .normalize import normalize_text

__all__ = [
    "Gazetteer",
    "Location",
    "RouteDecision",
    "RoutingTable",
    "load_json_config",
]


def load_json_config(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8-sig") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object at top level")
    return data


@dataclass(frozen=True, slots=True)
class Location:
    street: str | None
    community: str | None
    matched: tuple[str, ...] = ()
    # Share of matched aliases that agree with the chosen street; 1.0 means
    # every place mention in the text points to the same 街道.
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class _Entry:
    street: str
    community: str | None


class Gazetteer:
    """Resolve free-text addresses to (街道, 社区) by name and alias matching."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._entries: dict[str, list[_Entry]] = {}
        self.street_departments: dict[str, str] = {}
        for street in config.get("streets", []):
            sname = str(street["name"])
            if street.get("department"):
                self.street_departments[sname] = str(street["department"])
            for alias in [sname, *street.get("aliases", [])]:
                self._add(str(alias), _Entry(sname, None))
            for comm in street.get("communities", []):
                cname = str(comm["name"])
                for alias in [cname, *comm.get("aliases", [])]:
                    self._add(str(alias), _Entry(sname, cname))
        names = sorted(self._entries, key=len, reverse=True)
        # Longest alias first so "东风街道" wins over "东风" at the same spot.
        self._pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def _add(self, alias: str, entry: _Entry) -> None:
        alias = normalize_text(alias, strip_masks=False)
        if len(alias) < 2:
            # Single characters match everywhere in Chinese text.
            return
        bucket = self._entries.setdefault(alias, [])
        if entry not in bucket:
            bucket.append(entry)

    @classmethod
    def from_json(cls, path: str | Path) -> Gazetteer:
        return cls(load_json_config(path))

    def resolve(self, text: str) -> Location:
        if self._pattern is None:
            return Location(None, None)
        probe = normalize_text(text, strip_masks=False)
        hits = [m.group() for m in self._pattern.finditer(probe)]
        if not hits:
            return Location(None, None)
        street_votes: dict[str, float] = {}
        comm_votes: dict[tuple[str, str], float] = {}
        for alias in hits:
            entries = self._entries[alias]
            # An alias shared by several places splits its vote, so an
            # unambiguous mention elsewhere in the text decides.
            w = 1.0 / len(entries)
            for e in entries:
                street_votes[e.street] = street_votes.get(e.street, 0.0) + w
                if e.community:
                    comm_votes[(e.street, e.community)] = comm_votes.get((e.street, e.community), 0.0) + w
        street = max(street_votes, key=lambda s: (street_votes[s], s))
        comms = {c: v for (s, c), v in comm_votes.items() if s == street}
        community = max(comms, key=lambda c: (comms[c], c)) if comms else None
        confidence = street_votes[street] / len(hits)
        return Location(street, community, tuple(dict.fromkeys(hits)), round(confidence, 3))


@dataclass(frozen=True, slots=True)
class RouteDecision:
    department: str
    category: str
    territorial: bool
    street: str | None = None
    community: str | None = None
    reason: str = ""
    fallback: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class RoutingTable:
    """Pure mapping from (category, grid cell) to the responsible department."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.default_department = str(config.get("default_department", "人工分派"))
        self.categories: dict[str, dict[str, Any]] = {str(k): dict(v) for k, v in config.get("categories", {}).items()}
        self.grid_departments: dict[str, str] = {str(k): str(v) for k, v in config.get("grid_departments", {}).items()}

    @classmethod
    def from_json(cls, path: str | Path) -> RoutingTable:
        return cls(load_json_config(path))

    def route(
        self,
        category: str,
        location: Location | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> RouteDecision:
        """Pick the department for ``category`` at ``location``.

        For 属地 (territorial) categories the grid cell decides: first the
        category's own grid map, then the district-wide grid map, then the
        street's department from the gazetteer.  Without a resolvable grid
        cell the category's functional department stays responsible, and
        ``fallback`` tells the dispatcher that a human should check.
        """
        spec = self.categories.get(category)
        street = location.street if location else None
        community = location.community if location else None
        if spec is None:
            return RouteDecision(
                self.default_department,
                category,
                False,
                street,
                community,
                f"类别「{category}」未配置路由 / no route configured",
                fallback=True,
            )
        territorial = bool(spec.get("territorial", False))
        base = str(spec.get("department", self.default_department))
        if territorial:
            grid: Mapping[str, str] = spec.get("grid", {})
            for key in (community, street):
                if key and key in grid:
                    return RouteDecision(str(grid[key]), category, True, street, community, f"属地：{key} → {grid[key]}")
            for key in (community, street):
                if key and key in self.grid_departments:
                    dept = self.grid_departments[key]
                    return RouteDecision(dept, category, True, street, community, f"属地：{key} → {dept}")
            if street and gazetteer is not None and street in gazetteer.street_departments:
                dept = gazetteer.street_departments[street]
                return RouteDecision(dept, category, True, street, community, f"属地：{street} → {dept}")
            return RouteDecision(
                base, category, True, street, community, "属地事项但未识别网格 / territorial, grid cell unknown", fallback=True
            )
        return RouteDecision(base, category, False, street, community, f"类别「{category}」→ {base}")
