"""Finding 9: a Content-Security-Policy with no inline script or style, and the other security headers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from minyi.conftest import make_user
from minyi.reports import services as reports
from minyi.settings import _tile_source
from minyi.workflow.policy import Role

MINYI = Path(__file__).resolve().parents[2]

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(header: str) -> dict[str, str]:
    parts = [p.strip().split(" ", 1) for p in header.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.mark.parametrize("path", ["/portal/", "/login", "/admin/login/"])
def test_pages_send_the_content_security_policy(client: Client, district: None, path: str) -> None:
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert policy(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe" not in response["Content-Security-Policy"]


def test_pages_send_the_other_security_headers(client: Client, district: None) -> None:
    response = client.get("/portal/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    features = dict(f.split("=", 1) for f in response["Permissions-Policy"].split(", "))
    assert features["geolocation"] == "(self)"  # the portal's map pin
    assert features["camera"] == features["microphone"] == features["payment"] == "()"


def test_hsts_on_https_in_production(client: Client, settings: Any, district: None) -> None:
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True
    assert client.get("/portal/", secure=True)["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/portal/")  # never over plain HTTP


def test_tile_host_is_added_to_img_src() -> None:
    assert _tile_source("http://tiles.gov.local:8080/{z}/{x}/{y}.png") == ["http://tiles.gov.local:8080"]
    assert _tile_source("https://{s}.tiles.gov.local/{z}/{x}/{y}.png") == ["https://*.tiles.gov.local"]
    assert _tile_source("") == []


# Inline code the policy would block: <script> without src, on…= handlers, javascript: URLs, style attributes and blocks.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> block"),
]
# A self-contained document served with its own policy (minyi.reports.views.BULLETIN_CSP).
STANDALONE = {"reports/templates/reports/bulletin.html"}


def test_templates_have_no_inline_script_or_style() -> None:
    found = []
    for template in sorted(MINYI.glob("**/templates/**/*.html")):
        name = template.relative_to(MINYI).as_posix()
        if name in STANDALONE:
            continue
        text = template.read_text(encoding="utf-8")
        found += [f"{name}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


@pytest.mark.django_db
def test_bulletin_document_has_its_own_policy_and_is_previewed_by_url(client: Client, district: None) -> None:
    editor = make_user("ed", Role.SUPERVISOR, "sjj")
    bulletin = reports.draft_bulletin("2026-03", by=editor)
    client.force_login(editor)
    document = client.get(f"/reports/{bulletin.pk}.html")
    assert document.status_code == 200 and b"<style>" in document.content
    rules = policy(document["Content-Security-Policy"])
    assert rules["default-src"] == "'none'" and rules["style-src"] == "'unsafe-inline'"
    assert rules["frame-ancestors"] == "'self'" and "sandbox" in rules and "script-src" not in rules
    assert document["X-Frame-Options"] == "SAMEORIGIN"
    page = client.get(f"/reports/{bulletin.pk}").content.decode()
    assert f'src="/reports/{bulletin.pk}.html"' in page and "srcdoc" not in page


def test_cockpit_tooltips_need_no_inline_style() -> None:
    # ECharts' HTML tooltips are built with style="" attributes, which style-src 'self' blocks.
    script = (MINYI / "cockpit/static/cockpit/cockpit.js").read_text(encoding="utf-8")
    assert 'renderMode = "richText"' in script


@pytest.mark.django_db
def test_knowledge_base_import_form_is_not_nested_in_the_change_list_form(admin_client: Client) -> None:
    # Found while moving its inline style: a nested <form> is dropped by the browser, and its </form>
    # closed the change list's form, which broke the admin actions (and admin/js/actions.js).
    body = admin_client.get("/admin/assistant/card/").content.decode()
    assert body.index('class="kb-import"') < body.index('id="changelist-form"')
