"""Security probe: a production-mode minyi on a fresh PostgreSQL database, attacked from outside.

    python bench/security_probe.py [--port 18790] [--keep]

It creates a new database, migrates it, loads the default district, seeds a few
appeals that carry personal data (phones, ID numbers, house numbers, names in
replies) across channels, creates staff accounts for every role and two API keys,
then starts ``minyi serve`` with production settings (``MINYI_DEBUG`` unset) and
runs its checks over HTTP from two loopback addresses: 127.0.0.2 plays the trusted
reverse proxy, 127.0.0.1 an untrusted client. Some checks read the database or run
``minyi`` commands, as an auditor would.

Each check prints PASS or FAIL with a reason; the last line is
``security_probe passed=P failed=F``. Exit status 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import security_checks  # noqa: F401 - registers the checks, in order
from freshdb import environment
from probe_client import CHECKS, HOUSE, ID_NUMBER, MINYI, NAME_IN_REPLY, PASSWORD, PHONE, PYTHON, TRUSTED_PROXY, Browser, Probe

# ----- the probe ---------------------------------------------------------------------------------------


SEED = r"""
import json, sys
from django.db import transaction
from minyi.directory.models import Channel, GridCell, Department
from minyi.directory.services import create_staff
from minyi.workflow.policy import Role
from minyi.appeals import services
from minyi.api.keys import create_api_key
from minyi.workflow import services as wf
from minyi.workflow.machine import Event

PASSWORD, PHONE, ID_NUMBER, HOUSE, NAME_IN_REPLY = sys.argv[1:6]
people = {}
for username, role, dept in [
    ("p-operator", Role.OPERATOR, "sjj-12345"), ("p-dispatcher", Role.DISPATCHER, "sjj-12345"),
    ("p-handler", Role.HANDLER, "zjj"), ("p-handler2", Role.HANDLER, "cgj"), ("p-supervisor", Role.SUPERVISOR, "sjj"),
    ("p-leader", Role.LEADER, "mh"), ("p-admin", Role.ADMIN, "sjj"), ("p-secadmin", Role.SECADMIN, "sjj"),
    ("p-auditor", Role.AUDITOR, "sjj"),
]:
    people[username] = create_staff(username, role, dept, password=PASSWORD, must_change_password=False)
grid = GridCell.objects.filter(level="community").first()
out = {"appeals": {}}
def make(key, channel, kind, title, content, **extra):
    data = services.IntakeData(channel=Channel.objects.get(code=channel), title=title, content=content, kind=kind,
        phone=PHONE, submitter_name="陈国华", address=HOUSE, grid=grid, **extra)
    appeal, _ = services.intake_appeal(data, by=people["p-operator"])
    out["appeals"][key] = {"number": appeal.number, "token": appeal.public_token, "pk": appeal.pk}
    return appeal
public_channel = Channel.objects.filter(open_data=True, active=True).first() or Channel.objects.filter(public=True).first()
out["public_channel"] = public_channel.code
make("hotline", "12345", "complaint", "楼道堆物", f"我住{HOUSE}，身份证{ID_NUMBER}，电话{PHONE}，楼道堆满杂物。")
make("report", public_channel.code, "report", "举报无证餐馆", f"举报人电话{PHONE}，身份证{ID_NUMBER}。")
pub = make("public", public_channel.code, "complaint", "路灯不亮", f"{HOUSE}门口路灯不亮，联系{PHONE}。")
zjj = Department.objects.get(code="zjj")
pub = wf.perform(pub, Event.DISPATCH, by=people["p-dispatcher"], department=zjj)
pub = wf.perform(pub, Event.CLAIM, by=people["p-handler"])
pub = wf.perform(pub, Event.REPLY, by=people["p-handler"], reply=NAME_IN_REPLY + "，路灯已修复。")
from django_otp.plugins.otp_totp.models import TOTPDevice
out["otp"] = {}
for username in ("p-admin", "p-secadmin", "p-auditor"):
    device = TOTPDevice.objects.create(user=people[username], name="probe", confirmed=True)
    out["otp"][username] = device.key
import io
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from minyi.appeals import attachments
png = io.BytesIO(); Image.new("RGB", (8, 8), (10, 120, 200)).save(png, "PNG")
from minyi.appeals.models import Appeal
hotline = Appeal.objects.get(pk=out["appeals"]["hotline"]["pk"])
[att] = attachments.attach_files(hotline, [SimpleUploadedFile("现场.png", png.getvalue(), content_type="image/png")], by=people["p-operator"])
out["attachment"] = f"/appeals/{hotline.number}/files/{att.pk}"
key_a, raw_a = create_api_key("probe-a", ["appeals:read", "appeals:write"])
key_b, raw_b = create_api_key("probe-b", ["appeals:read", "appeals:write"])
out["keys"] = {"a": raw_a, "b": raw_b}
print("SEED" + json.dumps(out, ensure_ascii=False))
"""


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["MINYI_VAR_DIR"]) / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([MINYI, "serve", "--host", "0.0.0.0", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S104 - two loopback peers
    for _ in range(120):
        try:
            if Browser(port).get("/healthz").status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {log.name}")
        time.sleep(0.5)
    raise SystemExit("server did not answer /healthz")


CACHE_URL = "redis://127.0.0.1:6379/13"


def production_env(name: str, var_dir: str) -> dict[str, str]:
    env = environment("postgresql", name)
    for debug_var in ("MINYI_DEBUG", "MINYI_DEMO_RELAXED"):
        env.pop(debug_var, None)
    env.update(
        MINYI_SECRET_KEY=secrets.token_urlsafe(48),
        MINYI_ALLOWED_HOSTS="127.0.0.1",
        MINYI_VAR_DIR=var_dir,
        MINYI_TRUSTED_PROXIES=TRUSTED_PROXY,
        MINYI_TRIAGE_SUGGEST_MODE="sync",
        MINYI_PII_KEYS=f"1:{secrets.token_hex(16)}",
        MINYI_AUDIT_KEY=secrets.token_hex(32),
        # Rate limits are counted in Redis, so every gunicorn worker sees the same count.
        MINYI_CACHE_URL=CACHE_URL,
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18790)
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    args = parser.parse_args()
    name = f"minyi_probe_{os.getpid()}"
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()  # the probe's own Redis database: no counts from an earlier run
    var_dir = tempfile.mkdtemp(prefix="minyi-probe-")
    env = production_env(name, var_dir)
    for step in (["migrate", "--noinput"], ["load-defaults"]):
        done = subprocess.run([MINYI, *step], env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(f"minyi {' '.join(step)} failed")
    seeded = subprocess.run(
        [
            PYTHON,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'minyi.settings'); django.setup()\n" + SEED,
            PASSWORD,
            PHONE,
            ID_NUMBER,
            HOUSE,
            NAME_IN_REPLY,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    line = next((x for x in seeded.stdout.splitlines() if x.startswith("SEED")), None)
    if line is None:
        print(seeded.stdout, seeded.stderr, file=sys.stderr)
        raise SystemExit("seeding failed")
    server = start(env, args.port)
    probe = Probe(args.port, env, json.loads(line[4:]))
    try:
        for check_name, fn in CHECKS:
            probe.check(check_name, fn)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    passed = sum(1 for _, ok, _ in probe.results if ok)
    failed = len(probe.results) - passed
    print(f"security_probe passed={passed} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
