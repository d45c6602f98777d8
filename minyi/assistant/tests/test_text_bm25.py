"""Pure pieces: segmentation, synonyms, BM25, hybrid ranking, masking, coverage."""

from __future__ import annotations

import numpy as np

from minyi.assistant.bm25 import BM25, HybridIndex, View
from minyi.assistant.retrieval import Doc, KnowledgeIndex, analyse
from minyi.assistant.text import SynonymMap, char_ngrams, mask_personal, sentences, words


def test_synonyms_fold_longest_first() -> None:
    syn = SynonymMap({"电瓶车": "电动自行车", "电瓶": "蓄电池", "养狗": "养犬"})
    assert syn.fold("电瓶车的电瓶坏了，养狗的人") == "电动自行车的蓄电池坏了，养犬的人"
    assert "电动自行车" in words("我的电瓶车要上牌", syn)


def test_words_drop_stopwords_and_punctuation() -> None:
    assert words("请问，怎么办理居住证？") == ["居住证"]


def test_char_ngrams_and_sentences() -> None:
    assert char_ngrams("养犬 登记") == ["养犬", "登记"]
    assert sentences("第一句。第二句！\n第三行") == ["第一句。", "第二句！", "第三行"]


def test_bm25_prefers_the_document_with_rare_terms() -> None:
    bm = BM25([["养犬", "登记"], ["居住证", "登记"], ["登记", "登记", "营业执照"]])
    scores = bm.scores(["养犬", "登记"])
    assert int(np.argmax(scores)) == 0
    assert bm.idf_of("养犬") > bm.idf_of("登记")
    assert bm.idf_of("从未出现") == bm.max_idf
    assert bm.scores(["从未出现"]).sum() == 0


def test_hybrid_index_top_and_exclude() -> None:
    texts = ["电动自行车登记上牌", "养犬登记证办理", "居住证办理"]
    index = HybridIndex(views=[View("w", words, 0.6), View("c", char_ngrams, 0.4)], texts=texts)
    assert index.top("电动自行车怎么上牌", k=1)[0][0] == 0
    assert all(i != 0 for i, _ in index.top("电动自行车怎么上牌", k=3, exclude={0}))


def test_mask_personal_data() -> None:
    text = "我的电话13812345678，身份证320501199001011234，座机0512-66881234"
    masked = mask_personal(text)
    assert "13812345678" not in masked
    assert "138****5678" in masked
    assert "320501199001011234" not in masked
    assert "66881234" not in masked
    assert "0512-66881234" in mask_personal("咨询电话0512-66881234", landlines=False)


def test_aspects_longest_cue_wins() -> None:
    assert analyse("开诊所需要什么条件").aspects == ["conditions"]
    assert analyse("电瓶车上牌要带啥").aspects == ["materials"]
    assert set(analyse("养犬登记要多少钱，多久能办好").aspects) == {"fees", "time_limit"}


def test_coverage_rejects_a_question_about_something_absent() -> None:
    docs = [
        Doc("card:a", "policy", "养犬登记", "/a", {"summary": "饲养犬只应当办理养犬登记。", "fees": "每只200元。"}),
        Doc("card:b", "policy", "居住证办理", "/b", {"summary": "居住证遗失补领的，工本费20元。"}),
    ]
    kb = KnowledgeIndex(docs, SynonymMap({"养狗": "养犬", "补办": "补领"}))
    _q, hits = kb.search("养狗要办登记吗")
    assert hits[0].doc.key == "card:a"
    assert hits[0].coverage > 0.9
    _q, hits = kb.search("养犬登记证遗失怎么补办")
    assert all(h.coverage < 0.72 for h in hits)


def test_synonym_does_not_fold_its_own_canonical_again() -> None:
    syn = SynonymMap({"公积金": "住房公积金", "取公积金": "提取住房公积金"})
    assert syn.fold("住房公积金") == "住房公积金"
    assert syn.fold("租房取公积金") == "租房提取住房公积金"
    assert syn.fold("公积金余额") == "住房公积金余额"
