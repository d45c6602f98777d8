"""Finding 7: unset configuration means production, and production refuses unsafe settings and the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError

from minyi.accountability import ratings
from minyi.appeals.models import Appeal
from minyi.cli import demo_defaults
from minyi.conftest import PRODUCTION_ENV
from minyi.settings import PLACEHOLDER_SECRET

REPO = Path(__file__).resolve().parents[3]
GOOD_SECRET = "k3Jq8v0s-production-secret-of-48-characters-xyz"

# Settings are read at import: each case imports them in a fresh interpreter with a clean environment.
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "production": settings.MINYI_PRODUCTION,
    "hosts": settings.ALLOWED_HOSTS,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    "proxies": settings.MINYI_TRUSTED_PROXIES,
}))
"""


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "minyi.settings",
        "MINYI_VAR_DIR": str(tmp_path),
        # The keys production requires besides the secret; each case varies the rest.
        "MINYI_AUDIT_KEY": PRODUCTION_ENV["MINYI_AUDIT_KEY"],
        "MINYI_PII_KEYS": PRODUCTION_ENV["MINYI_PII_KEYS"],
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", PROBE], env=clean, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def test_unset_debug_means_production_and_refuses_the_placeholder_secret(tmp_path: Path) -> None:
    result = load_settings(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "MINYI_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short-secret-31-characters-long", "a" * 40, "abab" * 12])
def test_production_refuses_a_placeholder_or_short_secret(tmp_path: Path, secret: str) -> None:
    result = load_settings(tmp_path, MINYI_DEBUG="0", MINYI_SECRET_KEY=secret)
    assert result.returncode != 0 and "MINYI_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "minyi.gov.local,testserver"])
def test_production_refuses_wildcard_or_test_hosts(tmp_path: Path, hosts: str) -> None:
    result = load_settings(tmp_path, MINYI_SECRET_KEY=GOOD_SECRET, MINYI_ALLOWED_HOSTS=hosts)
    assert result.returncode != 0 and "MINYI_ALLOWED_HOSTS" in result.stderr


def test_a_mistyped_trusted_proxy_stops_the_server(tmp_path: Path) -> None:
    result = load_settings(tmp_path, MINYI_DEBUG="1", MINYI_TRUSTED_PROXIES="10.0.0.5,10.0.0.300")
    assert result.returncode != 0 and "10.0.0.300" in result.stderr


def test_configured_production_has_safe_defaults(tmp_path: Path) -> None:
    result = load_settings(
        tmp_path, MINYI_SECRET_KEY=GOOD_SECRET, MINYI_MAP_TILES="https://{s}.tiles.gov.local/{z}/{x}/{y}.png",
        MINYI_TRUSTED_PROXIES="10.0.0.0/29, 10.1.2.3",
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["debug"] is False and probe["production"] is True
    assert probe["hosts"] == ["127.0.0.1", "localhost"]
    assert probe["hsts"] == 365 * 24 * 3600 and probe["hsts_subdomains"] is True
    assert probe["ssl_redirect"] is False  # nginx usually redirects; MINYI_SSL_REDIRECT=1 turns it on
    assert probe["secure_cookies"] == [True, True]
    assert probe["img_src"] == ["'self'", "data:", "https://*.tiles.gov.local"]
    assert probe["proxies"] == ["10.0.0.0/29", "10.1.2.3"]


def test_development_must_be_asked_for(tmp_path: Path) -> None:
    probe = json.loads(load_settings(tmp_path, MINYI_DEBUG="1").stdout)
    assert probe["debug"] is True and probe["production"] is False
    assert probe["hsts"] == 0 and "testserver" in probe["hosts"]


def test_rating_links_forged_with_the_placeholder_secret_are_refused(settings: Any) -> None:
    settings.SECRET_KEY = GOOD_SECRET
    forged = signing.dumps({"a": 1, "r": 0}, key=PLACEHOLDER_SECRET, salt=ratings.SALT, compress=True)
    with pytest.raises(ratings.LinkInvalid, match="评价链接无效"):
        ratings.appeal_for(forged)


# The demo and its public password never reach a production database.

@pytest.mark.django_db
@pytest.mark.parametrize(("command", "options"), [("seed-demo", {"appeals": 5}), ("demo", {"appeals": 5, "no_serve": True})])
def test_demo_commands_refuse_production(settings: Any, command: str, options: dict[str, Any]) -> None:
    settings.MINYI_PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境禁止运行") as refused:
        call_command(command, **options)
    assert refused.value.returncode == 2
    assert not Appeal.objects.exists()
    assert not get_user_model().objects.filter(username__in=["admin", "operator"]).exists()


def test_seed_demo_exits_with_status_2_in_production(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MINYI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "MINYI_SECRET_KEY": GOOD_SECRET,
        "MINYI_AUDIT_KEY": PRODUCTION_ENV["MINYI_AUDIT_KEY"], "MINYI_PII_KEYS": PRODUCTION_ENV["MINYI_PII_KEYS"],
    }
    result = subprocess.run(
        [sys.executable, "-m", "minyi.cli", "seed-demo", "--appeals", "5"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "生产环境禁止运行 seed-demo" in result.stderr


@pytest.mark.parametrize(
    ("argv", "environ", "debug"),
    [
        (["minyi", "demo"], {}, "1"),  # a developer's machine: nothing configured
        (["minyi", "demo"], {"MINYI_SECRET_KEY": GOOD_SECRET}, None),  # a deployment: stays production and refuses
        (["minyi", "demo"], {"MINYI_DEBUG": "0"}, "0"),
        (["minyi", "serve"], {}, None),
        (["minyi", "seed-demo"], {}, None),
    ],
)
def test_minyi_demo_sets_debug_only_where_nothing_is_configured(argv: list[str], environ: dict[str, str], debug: str | None) -> None:
    demo_defaults(argv, environ)
    assert environ.get("MINYI_DEBUG") == debug
