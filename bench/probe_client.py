"""What the security probe's checks share: constants, an HTTP client with its own cookies, the registry."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from freshdb import REPO

PYTHON = str(REPO / ".venv" / "bin" / "python")
MINYI = str(REPO / ".venv" / "bin" / "minyi")
TRUSTED_PROXY = "127.0.0.2"
CLIENT = "127.0.0.1"
PASSWORD = "Probe#Secure-2026x"  # noqa: S105 - a probe account's password on a throw-away database
PHONE = "13987654321"
ID_NUMBER = "110101199003074514"  # valid check digit
HOUSE = "明湖路188号3幢402室"
NAME_IN_REPLY = "已电话告知陈国华先生"

PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


# ----- an HTTP client that keeps its own cookies (Secure cookies over a TLS-terminating proxy) ----------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Browser:
    port: int
    source: str = CLIENT
    via_proxy: bool = False  # adds X-Forwarded-For/-Proto as the trusted proxy would
    forwarded_for: str = "203.0.113.7"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.source, 0))
        sent = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "minyi-security-probe"}
        if self.via_proxy:
            sent.update({"X-Forwarded-For": self.forwarded_for, "X-Forwarded-Proto": "https"})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        conn.request(method, path, body=body, headers=sent)
        raw = conn.getresponse()
        data = raw.read()
        got = {k.lower(): v for k, v in raw.getheaders()}
        for header, value in raw.getheaders():
            if header.lower() == "set-cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        conn.close()
        return Response(raw.status, got, data)

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post_form(self, path: str, data: dict[str, str], **kw: Any) -> Response:
        if "csrftoken" not in self.cookies:
            self.get("/login")
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"{'https' if self.via_proxy else 'http'}://127.0.0.1:{self.port}",
            "Referer": f"{'https' if self.via_proxy else 'http'}://127.0.0.1:{self.port}{path}",
            **kw.pop("headers", {}),
        }
        return self.request("POST", path, body=urllib.parse.urlencode(fields).encode(), headers=headers, **kw)

    def login(self, username: str, password: str = PASSWORD) -> Response:
        self.get("/login")
        return self.post_form("/login", {"username": username, "password": password})


def api(port: int, method: str, path: str, key: str | None, payload: Any = None, headers: dict[str, str] | None = None) -> Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key:
        sent["X-API-Key"] = key
    body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
    return Browser(port).request(method, path, body=body, headers=sent)


@dataclass
class Probe:
    port: int
    env: dict[str, str]
    seed: dict[str, Any]
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def browser(self, **kw: Any) -> Browser:
        return Browser(self.port, **kw)

    def minyi(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MINYI, *args], env=self.env, capture_output=True, text=True, timeout=600, check=check)

    def python(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        prelude = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'minyi.settings'); django.setup()\n"
        return subprocess.run([PYTHON, "-c", prelude + code, *args], env=self.env, capture_output=True, text=True, timeout=600)

    def sql(self, statement: str) -> tuple[bool, str]:
        """Run one statement on the probe's database as the application's own database user."""
        import psycopg

        try:
            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                cur = conn.execute(statement)  # type: ignore[arg-type]
                rows = cur.fetchall() if cur.description else []
            return True, repr(rows)
        except psycopg.Error as exc:
            return False, str(exc).splitlines()[0]

    def check(self, name: str, fn: Callable[[Probe], tuple[bool, str]]) -> None:
        try:
            ok, detail = fn(self)
        except Exception as exc:  # a crashed check is a failed check, with its reason
            ok, detail = False, f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        self.results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


CHECKS: list[tuple[str, Callable[[Probe], tuple[bool, str]]]] = []


def check(name: str) -> Callable[[Callable[[Probe], tuple[bool, str]]], Callable[[Probe], tuple[bool, str]]]:
    def register(fn: Callable[[Probe], tuple[bool, str]]) -> Callable[[Probe], tuple[bool, str]]:
        CHECKS.append((name, fn))
        return fn

    return register
