"""Two real minyi instances on loopback for the exchange tests and ``bench/exchange.py``.

``Instance`` runs ``minyi serve`` in its own session (so SIGKILL takes the whole process
group) on its own database; ``Instance.call`` runs ``python -m minyi.exchange.testing …``
against that database to set it up, act as its staff, and read its state as JSON.
The CLI part (``main``) is a development tool, not part of the product.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

PYTHON = sys.executable
DEMO_KEY = "minyi-exchange-test-key-0123456789"


class Instance:
    def __init__(self, name: str, port: int, database_url: str, var_dir: Path, *, transport: str = "inline") -> None:
        self.name, self.port, self.database_url, self.var_dir = name, port, database_url, var_dir
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        var_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "MINYI_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "minyi.settings",
            "DATABASE_URL": database_url,
            "MINYI_VAR_DIR": str(var_dir),
            "MINYI_JOBS_TRANSPORT": transport,
            "MINYI_JOBS_PERIODIC": "1",
            "MINYI_NOTIFY_BACKEND": "locmem",
            "MINYI_TRIAGE_SUGGEST_MODE": "async",
        }

    def call(self, *args: str, transport: str = "sync", timeout: float = 600) -> Any:
        """Run one testing command against this instance's database; returns its JSON answer."""
        env = {**self.env, "MINYI_JOBS_TRANSPORT": transport, "MINYI_JOBS_PERIODIC": "0"}
        done = subprocess.run(  # noqa: S603 - our own module
            [PYTHON, "-m", "minyi.exchange.testing", *args], env=env, capture_output=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} {args}: {done.stderr.decode()[-3000:]}")
        lines = done.stdout.decode().strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def minyi(self, *args: str) -> str:
        done = subprocess.run([PYTHON, "-m", "minyi.cli", *args], env=self.env, capture_output=True, timeout=900, check=False)  # noqa: S603 - our own CLI
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} minyi {args}: {done.stderr.decode()[-3000:]}")
        return done.stdout.decode()

    def start(self, *, workers: int = 1, threads: int = 4) -> None:
        log = (self.var_dir / "server.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [PYTHON, "-m", "minyi.cli", "serve", "--port", str(self.port), "--workers", str(workers), "--threads", str(threads)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start; see {self.var_dir / 'server.log'}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            self.process.wait(timeout=60)
        self.process = None


def setup_pair(city: Instance, district: Instance, *, algorithm: str = "hmac-sha256", auto_dispatch: str = "env") -> None:
    """Directory on both sides; the city's department ``minghu`` is the district platform; keys and mappings."""
    city.call("setup", "city", "minghu", "city", district.url, algorithm, "")
    district.call("setup", "district", "city", "minghu", city.url, algorithm, auto_dispatch)


# --- the command side: runs inside one instance's environment ---------------------------------------


def _setup(role: str, code: str, remote_code: str, url: str, algorithm: str, auto_dispatch: str) -> dict[str, Any]:
    from minyi.directory.defaults import load_defaults
    from minyi.directory.models import Department
    from minyi.exchange.models import Peer

    load_defaults()
    department = None
    if role == "city":
        root = Department.objects.filter(parent__isnull=True).first()
        department, _ = Department.objects.update_or_create(
            code="remote-minghu", defaults={"name": "明湖区12345分中心（远程平台）", "kind": Department.Kind.DISTRICT, "parent": root}
        )
    mapping = {"*": auto_dispatch} if auto_dispatch else {}
    Peer.objects.update_or_create(
        code=code,
        defaults={
            "remote_code": remote_code,
            "name": "明湖区平台" if role == "city" else "市12345平台",
            "base_url": url,
            "key": DEMO_KEY,
            "algorithm": algorithm,
            "department": department,
            "department_map": mapping,
        },
    )
    return {"ok": True}


def _appeal(order_id: str) -> Any:
    from minyi.exchange.models import Link

    return Link.objects.select_related("appeal").get(order_id=order_id).appeal


def _orders(count: int, *, prefix: str = "测试") -> list[str]:
    from minyi.appeals.services import IntakeData, dispatch_appeal, intake_appeal
    from minyi.directory.models import Category, Channel, Department
    from minyi.workflow.services import SYSTEM

    channel = Channel.objects.get(code="12345")
    department = Department.objects.get(code="remote-minghu")
    category = Category.objects.filter(level=3, code__startswith="hjbh").first() or Category.objects.filter(level=3).first()
    numbers = []
    for i in range(count):
        data = IntakeData(
            channel=channel,
            title=f"{prefix}工单{i}：小区门口夜间施工噪音",
            content=f"{prefix}{i} 号：每晚十点后仍在施工，影响休息，请处理。",
            phone="13800138000",
            address="明湖区湖滨路1号",
            category=category,
        )
        appeal, _ = intake_appeal(data, by=SYSTEM, accept=True)
        dispatch_appeal(appeal, department, by=SYSTEM)
        numbers.append(appeal.number)
    return numbers


def _act(action: str, order_id: str, arg: str) -> dict[str, Any]:
    from minyi.appeals import services as a
    from minyi.directory.models import Department
    from minyi.workflow.services import SYSTEM

    appeal = _appeal(order_id)
    if action == "dispatch":
        a.dispatch_appeal(appeal, Department.objects.get(code=arg), by=SYSTEM)
    elif action == "claim":
        a.claim_appeal(appeal, by=SYSTEM)
    elif action == "return":
        a.return_appeal(appeal, reason=arg or "不属于本区管辖", by=SYSTEM)
    elif action == "reject_return":
        a.reject_return(appeal, reason=arg or "属于该区管辖，请继续办理", by=SYSTEM)
    elif action == "approve_return":
        a.approve_return(appeal, reason=arg or "同意退回", by=SYSTEM)
    elif action == "request_extension":
        a.request_extension(appeal, days=int(arg or 3), reason="需协调多个部门", by=SYSTEM)
    elif action == "approve_extension":
        a.approve_extension(appeal, by=SYSTEM, reason="同意延期")
    elif action == "deny_extension":
        a.deny_extension(appeal, reason="时限内可以办结", by=SYSTEM)
    elif action == "reply":
        a.reply_appeal(appeal, reply=arg or "已责令施工单位夜间停工，并安排巡查。", by=SYSTEM)
    elif action == "approve_reply":
        a.approve_reply(appeal, by=SYSTEM)
    elif action == "rate":
        a.record_callback(appeal, satisfaction=int(arg), resolved=int(arg) >= 3, comment="回访意见" if int(arg) >= 3 else "问题仍未解决", by=SYSTEM)
    else:
        raise SystemExit(f"unknown action {action}")
    return _state(order_id)


def _state(order_id: str) -> dict[str, Any]:
    from minyi.exchange.models import Link

    link = Link.objects.select_related("appeal").get(order_id=order_id)
    a = link.appeal
    return {
        "status": a.status,
        "reply": a.reply_text,
        "satisfaction": a.satisfaction,
        "reopen_count": a.reopen_count,
        "return_count": a.return_count,
        "active": link.active,
        "department": a.department.code if a.department else None,
        "reply_due_at": a.reply_due_at.isoformat() if a.reply_due_at else None,
        "upstream_reply_due_at": link.upstream_reply_due_at.isoformat() if link.upstream_reply_due_at else None,
    }


def _summary() -> dict[str, Any]:
    from minyi.exchange.models import InboundEvent, Link, Mismatch, OutboundEvent

    return {
        "links": Link.objects.count(),
        "backlog": OutboundEvent.objects.filter(delivered_at__isnull=True).count(),
        "outbound": OutboundEvent.objects.count(),
        "inbound": InboundEvent.objects.count(),
        "mismatches": Mismatch.objects.filter(resolved_at__isnull=True).count(),
        "mismatch_details": list(Mismatch.objects.values_list("order_id", "detail")[:20]),
    }


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, args = argv[0], argv[1:]
    result: Any
    if command == "setup":
        result = _setup(*args)
    elif command == "orders":
        result = _orders(int(args[0]))
    elif command == "act":
        result = _act(args[0], args[1], args[2] if len(args) > 2 else "")
    elif command == "state":
        result = _state(args[0])
    elif command == "sync":
        from minyi.exchange.services import sync_all

        result = sync_all()
    elif command == "summary":
        result = _summary()
    elif command == "autopilot":
        from minyi.exchange.autopilot import run

        result = run(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
