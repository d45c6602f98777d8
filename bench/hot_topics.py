"""Hot-topic evaluation on a messages-with-likes CSV (Teddy Cup 2020 C 附件3 layout).

    .venv/bin/python bench/hot_topics.py --data ../shared/data/teddycup2020c/full/附件3.csv

There is no official hot-issue ground truth, so likes stand in for public attention.
For every week of the data, ``minyi.cockpit.hot.find`` proposes its top hot clusters
(current week against the 4 weeks before); then:

- like recall: of the N most-liked messages, the share that sits in a top hot
  cluster of its own week;
- like lift: mean likes of messages in the top clusters ÷ mean likes of all messages;
- the figures for the messages with at least 10 likes;
- and the top clusters of the three weeks with the most likes, for eyeballing.

Reads the CSV in place and writes nothing; no data is copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def load(path: Path) -> list:  # type: ignore[type-arg]
    from minyi.cockpit.hot import Doc

    docs = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                day = dt.datetime.strptime(row["留言时间"].strip().split()[0].replace("-", "/"), "%Y/%m/%d").date()  # noqa: DTZ007 (a calendar date)
            except ValueError:
                continue
            text = " ".join(f"{row['留言主题']}。{row['留言详情']}".split())
            docs.append(Doc(row["留言编号"], text, day, "", int(float(row.get("点赞数") or 0))))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--top-liked", type=int, default=20)
    parser.add_argument("--top", type=int, default=10, help="hot clusters kept per week")
    parser.add_argument("--min-size", type=int, default=2, help="texts a cluster needs in its week")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    import jieba

    jieba.setLogLevel(60)
    from minyi.cockpit.hot import find

    docs = load(args.data)
    by_id = {d.id: d for d in docs}
    t0 = time.perf_counter()
    days = sorted({d.day for d in docs})
    sunday = days[0] + dt.timedelta(days=6 - days[0].weekday())
    hot_ids: set[str] = set()
    weeks: list[tuple[int, dt.date, list]] = []  # type: ignore[type-arg]
    runs = 0
    while sunday <= days[-1] + dt.timedelta(days=6):
        topics = find(docs, sunday, top=args.top, min_size=args.min_size)
        runs += 1
        week_likes = sum(d.likes for d in docs if sunday - dt.timedelta(days=6) <= d.day <= sunday)
        if topics:
            weeks.append((week_likes, sunday, topics))
        for t in topics:
            hot_ids.update(str(i) for i in t.ids)
        sunday += dt.timedelta(days=7)
    elapsed = time.perf_counter() - t0
    liked = sorted(docs, key=lambda d: -d.likes)
    top_liked = liked[: args.top_liked]
    ten = [d for d in docs if d.likes >= 10]
    mean_all = sum(d.likes for d in docs) / len(docs)
    in_hot = [by_id[i] for i in hot_ids if i in by_id]
    figures = {
        "messages": len(docs),
        "weeks": runs,
        "seconds": round(elapsed, 1),
        "messages_in_hot_clusters": len(in_hot),
        f"like_recall_top{args.top_liked}": round(sum(d.id in hot_ids for d in top_liked) / len(top_liked), 3),
        "like_recall_likes>=10": round(sum(d.id in hot_ids for d in ten) / max(len(ten), 1), 3),
        "share_of_messages_in_hot": round(len(in_hot) / len(docs), 3),
        "like_lift": round((sum(d.likes for d in in_hot) / max(len(in_hot), 1)) / mean_all, 2),
    }
    print(json.dumps(figures, ensure_ascii=False))
    for week_likes, sunday, topics in sorted(weeks, key=lambda w: -w[0])[:3]:
        print(f"\nweek ending {sunday} (likes that week {week_likes}):")
        for t in topics[:5]:
            print(f"  [{t.size} texts, growth {t.growth:.1f}, likes {t.likes}] {t.label} | {t.samples[0][:50]}")


if __name__ == "__main__":
    main()
