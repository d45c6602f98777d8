"""The LLM adapter against a local OpenAI-compatible test server (started here, on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from minyi.assistant import services
from minyi.assistant.answer import NOT_FOUND_TEXT
from minyi.assistant.llm import LLMEngine
from minyi.assistant.models import AskLog

pytestmark = pytest.mark.usefixtures("kb")


class FakeOpenAI(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"
    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def completion(content: str) -> str:
        return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}, ensure_ascii=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "payload": payload})
        mode = type(self).mode
        if mode == "timeout":
            time.sleep(1.5)
            self._send(200, self.completion('{"found": false, "answer": "", "citations": []}'))
        elif mode == "http500":
            self._send(500, '{"error": "overloaded"}')
        elif mode == "not_json":
            self._send(200, "<html>gateway error</html>")
        elif mode == "content_not_json":
            self._send(200, self.completion("您好，电动自行车上牌需要身份证。"))
        elif mode == "wrong_shape":
            self._send(200, self.completion('{"answer": ["身份证"], "sources": "卡片"}'))
        elif mode == "unknown_citation":
            self._send(200, self.completion('{"found": true, "answer": "需要身份证。", "citations": [99]}'))
        elif mode == "no_citation":
            self._send(200, self.completion('{"found": true, "answer": "需要身份证。", "citations": []}'))
        elif mode == "not_found":
            self._send(200, self.completion('{"found": false, "answer": "", "citations": []}'))
        elif mode == "fenced":
            self._send(200, self.completion('```json\n{"found": true, "answer": "带身份证和发票。", "citations": [1, 2]}\n```'))
        else:
            self._send(200, self.completion('{"found": true, "answer": "需要携带身份证、购车发票和合格证。", "citations": [1, 2, 1]}'))


@pytest.fixture
def server() -> Iterator[str]:
    FakeOpenAI.mode = "ok"
    FakeOpenAI.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def llm(server: str, settings: Any) -> LLMEngine:
    settings.MINYI_ASSISTANT_LLM = {"base_url": server, "model": "qwen-test", "api_key": "sk-local", "timeout": 0.5}
    engine = services.get_engine()
    assert isinstance(engine, LLMEngine)
    return engine


QUESTION = "电瓶车上牌要带啥"


def test_llm_answer_is_forced_into_the_fixed_shape(llm: LLMEngine) -> None:
    answer = services.ask(QUESTION)
    assert answer.engine == "llm"
    assert answer.found
    assert answer.fallback_reason == ""
    assert answer.text == "需要携带身份证、购车发票和合格证。"
    quotes = [q for q, _n in answer.segments]
    assert len(quotes) == 2  # passage 1 cited twice counts once
    card = services.card_doc(services.servable_card("transport-ebike-registration"))
    for c in answer.citations:  # quotes are the passages given, never model text
        assert c.key == "card:transport-ebike-registration"
        assert all(q in card.field_text(c.field) for q in c.quotes)
    sent = FakeOpenAI.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer sk-local"
    assert sent["payload"]["model"] == "qwen-test"
    assert "[1]《电动自行车登记上牌》" in sent["payload"]["messages"][1]["content"]
    assert AskLog.objects.get().engine == "llm"


def test_fenced_json_is_accepted(llm: LLMEngine) -> None:
    FakeOpenAI.mode = "fenced"
    answer = services.answer_question(QUESTION)
    assert answer.engine == "llm"
    assert answer.text == "带身份证和发票。"


def test_llm_may_say_not_found(llm: LLMEngine) -> None:
    FakeOpenAI.mode = "not_found"
    answer = services.answer_question(QUESTION)
    assert answer.engine == "llm"
    assert not answer.found
    assert answer.text == NOT_FOUND_TEXT


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("timeout", "超时"),
        ("http500", "HTTP 500"),
        ("not_json", "chat.completions"),
        ("content_not_json", "不是 JSON"),
        ("wrong_shape", "字段"),
        ("unknown_citation", "不存在的资料编号"),
        ("no_citation", "没有引用"),
    ],
)
def test_any_error_falls_back_to_extractive_and_says_so(llm: LLMEngine, mode: str, reason: str) -> None:
    FakeOpenAI.mode = mode
    answer = services.ask(QUESTION)
    assert answer.engine == "extractive"
    assert reason in answer.fallback_reason
    assert answer.found
    assert answer.citations[0].key == "card:transport-ebike-registration"
    row = AskLog.objects.get()
    assert row.engine == "extractive"
    assert reason in row.fallback_reason


def test_unreachable_endpoint_falls_back(settings: Any) -> None:
    settings.MINYI_ASSISTANT_LLM = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "timeout": 0.5}
    answer = services.answer_question(QUESTION)
    assert answer.engine == "extractive"
    assert "连接失败" in answer.fallback_reason


def test_non_http_url_is_refused(settings: Any) -> None:
    settings.MINYI_ASSISTANT_LLM = {"base_url": "file:///etc/passwd", "model": "m"}
    answer = services.answer_question(QUESTION)
    assert answer.engine == "extractive"
    assert "http" in answer.fallback_reason


def test_adapter_is_off_by_default(settings: Any) -> None:
    settings.MINYI_ASSISTANT_LLM = None
    assert services.get_engine().name == "extractive"
