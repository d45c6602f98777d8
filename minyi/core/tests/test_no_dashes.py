"""No page in zh-hans shows Django's "---------" empty choice: every select names its empty option in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("operator", "/desk/intake"),
        ("operator", "/appeals/new"),
        ("supervisor", "/accountability/engagements/new"),
        ("supervisor", "/accountability/topics/new"),
        (None, "/portal/"),
    ],
)
def test_forms_have_chinese_empty_choices(client: Client, people: dict[str, Any], who: str | None, path: str) -> None:
    if who:
        client.force_login(people[who])
    response = client.get(path)
    assert response.status_code == 200, path
    assert "---------" not in response.content.decode()


def test_action_forms_on_the_appeal_page(client: Client, people: dict[str, Any], appeal_in: Any) -> None:
    for state in (State.PENDING_DISPATCH, State.PENDING_CALLBACK, State.RETURN_REQUESTED):
        appeal = appeal_in(state)
        client.force_login(people["admin"])
        html = client.get(f"/appeals/{appeal.number}").content.decode()
        assert "---------" not in html, state
