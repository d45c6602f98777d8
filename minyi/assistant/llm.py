"""Optional LLM answer engine for an OpenAI-compatible ``/v1/chat/completions`` endpoint.

No model ships with minyi. The adapter is off unless ``MINYI_ASSISTANT_LLM`` is set, e.g.::

    MINYI_ASSISTANT_LLM = {"base_url": "http://10.0.0.8:8000/v1", "model": "qwen2.5-14b-instruct",
                           "api_key": "", "timeout": 8}

The model only sees numbered passages taken from the retrieved cards and must answer with one
JSON object ``{"found": bool, "answer": str, "citations": [int, ...]}``. Citations must name
passages it was given; the quoted text is always the passage itself, never model output. Any
error — network, timeout, HTTP status, malformed JSON, wrong shape, unknown citation — falls
back to the extractive engine, and the answer records ``engine="extractive"`` with the reason.
Standard library only (urllib).
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from minyi.assistant.answer import Answer, Citation, ExtractiveEngine, answerable, cite, not_found
from minyi.assistant.retrieval import BODY_FIELDS_FOR_LLM, FIELD_LABELS, Hit, KnowledgeIndex, Query, split_field

log = logging.getLogger("minyi.assistant")

SYSTEM_PROMPT = (
    "你是明湖区政务服务智能助手“小惠”。只能依据用户提供的编号资料回答，不得编造资料以外的内容。"
    '请只输出一个JSON对象，格式为：{"found": true或false, "answer": "简明中文答案", "citations": [资料编号, ...]}。'
    '资料中没有答案时输出 {"found": false, "answer": "", "citations": []}。'
)
MAX_PASSAGES = 24
MAX_ANSWER_CHARS = 800


class LLMError(Exception):
    pass


@dataclass
class Passage:
    n: int
    hit: Hit
    field: str
    text: str


def build_passages(hits: list[Hit], first: list[Hit]) -> list[Passage]:
    """Sentences of the top hits, numbered; hits that pass the coverage check come first."""
    out: list[Passage] = []
    ordered = [*first, *[h for h in hits if h not in first]]
    for hit in ordered[:3]:
        for fname in BODY_FIELDS_FOR_LLM:
            for sentence in split_field(hit.doc, fname):
                if len(out) >= MAX_PASSAGES:
                    return out
                out.append(Passage(len(out) + 1, hit, fname, sentence))
    return out


def _strip_fences(text: str) -> str:
    text = text.strip()
    m = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.S)
    return m.group(1) if m else text


def parse_reply(body: bytes, n_passages: int) -> tuple[bool, str, list[int]]:
    """Validate the endpoint's response; raise LLMError on anything but the fixed shape."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"响应不是合法的 chat.completions JSON：{exc.__class__.__name__}") from exc
    if not isinstance(content, str):
        raise LLMError("响应 content 不是字符串")
    try:
        obj = json.loads(_strip_fences(content))
    except ValueError as exc:
        raise LLMError("模型输出不是 JSON") from exc
    if not isinstance(obj, dict) or set(obj) - {"found", "answer", "citations"} or "found" not in obj:
        raise LLMError("模型输出字段不符合约定")
    found, answer, cites = obj.get("found"), obj.get("answer", ""), obj.get("citations", [])
    if not isinstance(found, bool) or not isinstance(answer, str) or not isinstance(cites, list):
        raise LLMError("模型输出类型不符合约定")
    if not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= n_passages for c in cites):
        raise LLMError("模型引用了不存在的资料编号")
    if found and (not answer.strip() or not cites):
        raise LLMError("模型给出答案却没有引用资料")
    return found, answer.strip()[:MAX_ANSWER_CHARS], list(dict.fromkeys(cites))


class LLMEngine:
    name = "llm"

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 8.0) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.fallback = ExtractiveEngine()

    @classmethod
    def from_settings(cls, conf: dict[str, Any]) -> LLMEngine:
        return cls(str(conf["base_url"]), str(conf["model"]), str(conf.get("api_key", "")), float(conf.get("timeout", 8)))

    def _post(self, payload: dict[str, Any]) -> bytes:
        req = urllib.request.Request(  # noqa: S310 — the URL comes from settings, http(s) only (checked below)
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})},
            method="POST",
        )
        if not self.url.startswith(("http://", "https://")):
            raise LLMError("MINYI_ASSISTANT_LLM.base_url 必须是 http(s) 地址")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                body: bytes = resp.read(1_000_000)
                return body
        except urllib.error.HTTPError as exc:
            raise LLMError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise LLMError(f"连接失败或超时：{exc.__class__.__name__}") from exc

    def answer(self, question: str, query: Query, hits: list[Hit], kb: KnowledgeIndex) -> Answer:
        good = answerable(query, hits, kb)
        passages = build_passages(hits, good)
        if not passages:
            return not_found(question, self.name)
        material = "\n".join(f"[{p.n}]《{p.hit.doc.title}》{FIELD_LABELS.get(p.field, p.field)}：{p.text}" for p in passages)
        payload = {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"资料：\n{material}\n\n问题：{question}"},
            ],
        }
        try:
            found, text, cites = parse_reply(self._post(payload), len(passages))
        except LLMError as exc:
            log.warning("assistant LLM fell back to extractive: %s", exc)
            fallback = self.fallback.answer(question, query, hits, kb)
            fallback.fallback_reason = str(exc)[:200]
            return fallback
        if not found:
            return not_found(question, self.name)
        citations: list[Citation] = []
        segments = []
        for n in cites:
            p = passages[n - 1]
            segments.append((p.text, cite(citations, p.hit.doc, p.field, p.text)))
        keys = list(dict.fromkeys(c.key for c in citations))
        main = next(h.doc for h in hits if h.doc.key == keys[0])
        return Answer(
            question=question,
            found=True,
            engine=self.name,
            text=text,
            citations=citations,
            segments=segments,
            materials=split_field(main, "materials") if main.kind != "faq" else [],
            sources=keys,
            fallback_reason="" if good else "检索覆盖度低，答案由模型判断",
        )
