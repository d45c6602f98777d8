from __future__ import annotations

import json
from dataclasses import asdict

from minyi.triage.dedup import DuplicateIndex
from minyi.triage.model import fit_model
from minyi.triage.routing import Gazetteer, RoutingTable
from minyi.triage.suggest import suggest

from . import make_dataset

ROUTES = {
    "categories": {
        "城乡建设": {"department": "区住建局", "territorial": True},
        "交通运输": {"department": "区交通运输局"},
        "教育文体": {"department": "区教育局"},
        "环境保护": {"department": "区生态环境分局", "territorial": True},
    }
}
GAZ = {"streets": [{"name": "东湖街道", "department": "东湖街道办事处", "communities": [{"name": "南门社区", "aliases": ["南门小区"]}]}]}


def test_suggest_returns_everything_the_dispatcher_needs() -> None:
    texts, labels = make_dataset(n_per_class=25, seed=21)
    model = fit_model(texts, labels, folds=3)
    index = DuplicateIndex()
    body = "南门小区的工厂夜间偷排废气气味刺鼻，煤气味很浓，联系电话13912345678"
    index.add("old-1", "工厂夜间偷排废气\n" + body, submitter="U1")
    s = suggest(
        model,
        "工厂夜间偷排废气",
        body,
        routing=RoutingTable(ROUTES),
        gazetteer=Gazetteer(GAZ),
        dup_index=index,
        submitter="U1",
    )
    assert s.categories[0]["label"] == "环境保护"
    assert len(s.categories) == 3
    assert s.departments[0].department == "东湖街道办事处"  # territorial: the street decides
    assert s.departments[0].probability >= s.departments[-1].probability
    assert (s.street, s.community) == ("东湖街道", "南门社区")
    assert s.priority == "critical"
    assert any(f["code"] == "gas" for f in s.urgency_flags)
    assert [p["kind"] for p in s.pii] == ["phone"]
    assert s.duplicates[0]["id"] == "old-1"
    assert s.duplicates[0]["score"] == 1.0
    assert s.reason_terms
    assert s.certainty is not None
    assert s.auto_dispatch == (s.certainty >= s.threshold)
    json.dumps(asdict(s), ensure_ascii=False)  # storable on the appeal as JSON
