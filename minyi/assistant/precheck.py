"""材料预审: match uploaded file names (or declared types) against a card's materials list.

Pure code. A material is matched when the file name contains its name (without the
parenthesised note), one of its keywords, or — for names of 4+ characters — at least
75% of its character bigrams. Each file satisfies at most one material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from minyi.assistant.text import char_ngrams, normalize

_PAREN = re.compile(r"[（(].*?[）)]")


@dataclass
class PrecheckResult:
    matched: list[tuple[str, str]] = field(default_factory=list)  # (material, file)
    missing: list[str] = field(default_factory=list)  # required materials with no file
    optional_missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # files that match no material

    @property
    def complete(self) -> bool:
        return not self.missing

    def message(self) -> str:
        if self.complete:
            return "材料齐全，可以提交。"
        return "还缺少以下材料：" + "、".join(self.missing) + "。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "message": self.message(),
            "matched": [{"material": m, "file": f} for m, f in self.matched],
            "missing": self.missing,
            "optional_missing": self.optional_missing,
            "unused": self.unused,
        }


def _stem(name: str) -> str:
    return normalize(PurePath(name.strip()).stem if "." in name else name.strip())


def _score(material: dict[str, Any], stem: str) -> float:
    name = normalize(_PAREN.sub("", str(material.get("name", "")))).strip()
    if name and name in stem:
        return 1.0
    for kw in material.get("keywords", []) or []:
        if normalize(str(kw)) and normalize(str(kw)) in stem:
            return 0.9
    if len(name) >= 4:
        grams = set(char_ngrams(name))
        if grams:
            share = len(grams & set(char_ngrams(stem))) / len(grams)
            if share >= 0.75:
                return share * 0.8
    return 0.0


def precheck(materials: list[dict[str, Any]], files: list[str]) -> PrecheckResult:
    result = PrecheckResult()
    stems = [(f, _stem(f)) for f in files if f.strip()]
    # Best (material, file) pairs first, so a specific file is not spent on a vaguer material.
    pairs = sorted(
        ((s, i, j) for i, m in enumerate(materials) for j, (_f, stem) in enumerate(stems) if (s := _score(m, stem)) > 0),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    used_m: set[int] = set()
    used_f: set[int] = set()
    for _s, i, j in pairs:
        if i in used_m or j in used_f:
            continue
        used_m.add(i)
        used_f.add(j)
        result.matched.append((str(materials[i]["name"]), stems[j][0]))
    for i, m in enumerate(materials):
        if i not in used_m:
            (result.missing if m.get("required", True) else result.optional_missing).append(str(m["name"]))
    result.unused = [f for j, (f, _s) in enumerate(stems) if j not in used_f]
    order = {str(m["name"]): i for i, m in enumerate(materials)}
    result.matched.sort(key=lambda mf: order[mf[0]])
    return result
