"""Chinese first, English second: every label has a message id and the English pages read English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from minyi.workflow.machine import EVENT_LABELS, GUARDS, STATE_LABELS
from minyi.workflow.policy import ROLE_LABELS

CATALOG = (Path(__file__).resolve().parent.parent / "i18n_catalog.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "label",
    sorted({*STATE_LABELS.values(), *EVENT_LABELS.values(), *ROLE_LABELS.values(), *(g.message for g in GUARDS.values())}),
)
def test_every_workflow_label_is_in_the_catalog(label: str) -> None:
    assert f'_("{label}")' in CATALOG, "regenerate minyi/core/i18n_catalog.py and the .po files"


def test_state_labels_translate_to_english() -> None:
    with translation.override("en"):
        assert translation.gettext(STATE_LABELS[next(iter(STATE_LABELS))]) != STATE_LABELS[next(iter(STATE_LABELS))]
        assert translation.gettext("待签收") == "Awaiting claim"


def test_english_login_page(client: Client, db: None) -> None:
    body = client.get("/login", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in to minyi" in body and "Username" in body


def test_switching_language_is_remembered(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["dispatcher"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/appeals/"})
    body = client.get("/appeals/").content.decode()
    assert "Appeals" in body and "Filter" in body


def test_no_raw_codes_or_english_on_chinese_pages(client: Client, people: dict[str, Any]) -> None:
    """Issue 17: "答案引擎：extractive", "response=0.2", "MINYI_AUTO_DISPATCH" and an "OK" button read as machine text."""
    client.force_login(people["leader"])
    cockpit = client.get("/cockpit/").content.decode()
    assert "response=" not in cockpit and "响应率 0.2" in cockpit
    assert ">OK<" not in cockpit and "minyi cockpit" not in cockpit  # no shell command on a leader's screen
    portal = client.get("/portal/").content.decode()
    assert ">OK<" not in portal and "切换" in portal
    client.force_login(people["supervisor"])
    assert "MINYI_AUTO_DISPATCH" not in client.get("/triage/quality").content.decode()
