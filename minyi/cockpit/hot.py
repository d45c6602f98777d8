"""热点诉求: clusters of similar appeals that rise this week against the previous weeks.

Method (pure, deterministic for a seed): the texts of the last ``window_days`` plus the
``baseline_weeks`` before it are segmented with jieba and vectorised with TF-IDF; the
vectors are clustered with MiniBatchKMeans (k ≈ n / ``docs_per_cluster``). A cluster is
hot when it has at least ``min_size`` texts in the current window and grows against
the mean of the baseline's windows of the same length (weeks for a weekly window):
``growth = (current + 1) / (baseline_per_window + 1)``.
Hot clusters are ranked by ``current × log2(1 + growth)`` (+ log of the likes when the
source has likes). Each comes with a readable name (the category most of it was filed
under, or its most central title, plus the place where most of it happens), its size,
growth, key words, main places and the texts nearest to its centre. ``propose`` turns the top ones into a "未诉先办/每月一题"
list; ``to_topic`` makes one a 专题 of minyi.accountability in one click.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

STOP = frozenset(
    [
        "的", "了", "是", "在", "和", "与", "及", "有", "我", "我们", "你", "您", "他", "她",
        "它", "这", "那", "都", "也", "就", "还", "又", "被", "把", "对", "于", "为", "并",
        "等", "请", "希望", "问题", "反映", "相关", "部门", "领导", "政府", "一下", "什么", "怎么", "如何", "没有",
        "可以", "已经", "现在", "目前", "一直", "非常", "严重", "情况", "进行", "解决", "处理", "要求", "关于", "市民",
        "居民", "群众", "网友", "你好", "您好", "尊敬", "谢谢", "感谢", "某", "号码", "用户",
    ]
)
_PLACE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]{1,8}?(?:街道|社区|小区|新村|花园|路|街|镇|村|区|县)")


@dataclass(frozen=True)
class Doc:
    id: Any
    text: str
    day: dt.date
    place: str = ""
    likes: int = 0
    title: str = ""  # the appeal's own title, when it has one
    category: str = ""  # the finest category it was filed under, when known


@dataclass
class Topic:
    label: str
    keywords: list[str]
    size: int  # texts in the current window
    baseline: float  # mean texts per week before it
    growth: float
    score: float
    places: list[tuple[str, int]]
    samples: list[str]
    ids: list[Any]
    likes: int = 0
    theme: str = ""  # what it is about, without the place: a category name or the most central title

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "keywords": self.keywords, "size": self.size, "baseline": round(self.baseline, 2),
            "growth": round(self.growth, 2), "score": round(self.score, 2), "places": self.places,
            "samples": self.samples, "ids": [str(i) for i in self.ids], "likes": self.likes,
            "theme": self.theme or self.label,
        }  # fmt: skip


def tokenize(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if len(w) >= 2 and w not in STOP and not w.isdigit()]


def _places(doc: Doc) -> list[str]:
    return [doc.place] if doc.place else list(dict.fromkeys(_PLACE.findall(doc.text)))[:2]


_CLAUSE = re.compile(r"[，。；！？、,.;!?（(\[【]")


def _short_title(text: str, limit: int = 16) -> str:
    """The first clause of a title, without a trailing number: "明珠苑小区电梯故障困人，…3号楼" → "明珠苑小区电梯故障困人"."""
    head = _CLAUSE.split(text.strip(), maxsplit=1)[0].strip()
    head = re.sub(r"[0-9一二三四五六七八九十]+号?楼?$", "", head).strip()
    return head[:limit]


def name_topic(members: Sequence[Doc], keywords: Sequence[str], places: Sequence[tuple[str, int]]) -> tuple[str, str]:
    """A readable name for a cluster and its theme, e.g. ("明珠社区电梯维修", "电梯维修").

    The theme is the category most of the cluster was filed under; failing that, the first
    clause of the most central title; failing that, the key words. The name adds the place
    when most of the cluster happens there. ``members`` are ordered nearest the centre first.
    """
    size = len(members)
    theme = ""
    categories = Counter(d.category for d in members if d.category).most_common(1)
    if categories and categories[0][1] * 2 >= size:
        theme = categories[0][0]
    if not theme:
        theme = next((t for t in (_short_title(d.title) for d in members[:5]) if len(t) >= 4), "")
    if not theme:
        theme = "、".join(keywords[:3])
    place = places[0][0] if places and places[0][1] * 2 > size else ""
    name = theme if not place or place in theme else f"{place}{theme}"
    return name, theme


def find(
    docs: Sequence[Doc],
    today: dt.date,
    *,
    window_days: int = 7,
    baseline_weeks: int = 4,
    min_size: int = 3,
    docs_per_cluster: int = 15,
    top: int = 10,
    seed: int = 0,
) -> list[Topic]:
    """Hot topics among ``docs`` for the window ending on ``today`` (inclusive)."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    start = today - dt.timedelta(days=window_days - 1)
    # The baseline is ``baseline_weeks`` windows of the same length before this one (weeks for a weekly window).
    base_start = start - dt.timedelta(days=window_days * baseline_weeks)
    docs = [d for d in docs if base_start <= d.day <= today and d.text.strip()]
    if len(docs) < max(min_size, 2):
        return []
    vec = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, min_df=2, max_df=0.5, sublinear_tf=True)
    try:
        x = vec.fit_transform([d.text for d in docs])
    except ValueError:  # every word too rare or too common
        return []
    k = max(2, min(len(docs) // docs_per_cluster, 300))
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(x)
    labels = km.labels_
    terms = np.array(vec.get_feature_names_out())
    current = np.array([d.day >= start for d in docs])
    topics: list[Topic] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        now_members = members[current[members]]
        size = len(now_members)
        if size < min_size:
            continue
        baseline = (len(members) - size) / baseline_weeks
        growth = (size + 1) / (baseline + 1)
        if growth <= 1.0:
            continue
        likes = sum(docs[i].likes for i in now_members)
        centre = km.cluster_centers_[c]
        keywords = [str(terms[j]) for j in np.argsort(centre)[::-1][:5] if centre[j] > 0]
        dist = np.asarray(x[now_members] @ centre).ravel()
        order = now_members[np.argsort(-dist)]
        places = Counter(p for i in now_members for p in _places(docs[i])).most_common(3)
        score = size * math.log2(1 + growth) + math.log1p(likes)
        label, theme = name_topic([docs[i] for i in order], keywords, places)
        topics.append(
            Topic(
                label=label,
                theme=theme,
                keywords=keywords,
                size=size,
                baseline=baseline,
                growth=growth,
                score=score,
                places=places,
                samples=[docs[i].text[:120] for i in order[:3]],
                ids=[docs[i].id for i in order],
                likes=likes,
            )
        )
    topics.sort(key=lambda t: -t.score)
    return topics[:top]


def appeal_docs(today: dt.date, window_days: int = 7, baseline_weeks: int = 4) -> list[Doc]:
    from django.utils import timezone

    from minyi.appeals.models import Appeal

    start = today - dt.timedelta(days=window_days - 1 + 7 * baseline_weeks)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    rows = (
        Appeal.objects.filter(created_at__gte=since, created_at__lt=until)
        .exclude(status="merged")
        .values_list("id", "title", "content", "created_at", "grid__name", "category__name")
        .iterator(chunk_size=2000)
    )
    return [
        Doc(i, f"{title}。{content}", timezone.localtime(at).date(), grid or "", title=title, category=category or "")
        for i, title, content, at, grid, category in rows
    ]


def compute_and_store(today: dt.date | None = None, **options: Any) -> Any:
    from django.utils import timezone

    from minyi.cockpit.models import HotTopicSnapshot

    today = today or timezone.localdate()
    window = options.get("window_days", 7)
    topics = find(appeal_docs(today, window, options.get("baseline_weeks", 4)), today, **options)
    return HotTopicSnapshot.objects.create(
        computed_at=timezone.now(),
        window_start=today - dt.timedelta(days=window - 1),
        window_end=today,
        topics=[t.as_dict() for t in topics],
    )


def cached_topics() -> list[dict[str, Any]]:
    from minyi.cockpit.models import HotTopicSnapshot

    snap = HotTopicSnapshot.objects.first()
    return list(snap.topics) if snap else []


# How a window is named in a sentence: (this …, the … before, mean per …).
WINDOW_WORDS = {7: ("本周", "前几周", "周均"), 1: ("今日", "前几日", "日均")}


def window_words(window_days: int) -> tuple[str, str, str]:
    """"本周…较前几周周均" for a week; a month (28–31 days) reads "本月…较前几个月月均"; anything else "本期…"."""
    if window_days in WINDOW_WORDS:
        return WINDOW_WORDS[window_days]
    if 28 <= window_days <= 31:
        return ("本月", "前几个月", "月均")
    if window_days >= 365:
        return ("本年", "前几年", "年均")
    return ("本期", "前几期", "期均")


def propose(topics: Sequence[dict[str, Any]], limit: int = 5, *, window_days: int = 7) -> list[dict[str, str]]:
    """A 未诉先办 / 每月一题 list: one line per hot cluster, worded for a leader's decision."""
    this, before, mean = window_words(window_days)
    out = []
    for t in topics[:limit]:
        where = "、".join(p for p, _ in t["places"][:2]) or "全区"
        theme = t.get("theme") or t["label"]
        out.append(
            {
                "title": f"{where}“{theme}”问题专项治理",
                "why": f"{this}{t['size']}件，较{before}{mean}{t['baseline']}件增长{t['growth']}倍",
            }
        )
    return out
