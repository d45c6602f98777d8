"""Keyboard-first intake: the place named in the call is recognised and offered as the 网格, no coordinates typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minyi.directory.models import GridCell

pytestmark = pytest.mark.django_db


def test_the_suggestion_panel_names_the_place_in_the_text(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    html = client.get("/desk/intake/suggest", {"title": "路灯不亮", "content": "湖滨社区门口的路灯坏了一个星期"}).content.decode()
    cell = GridCell.objects.get(code="mhjd-hb")
    assert f'data-grid-id="{cell.pk}"' in html
    assert str(cell) in html and "湖滨社区" in html
    unknown = client.get("/desk/intake/suggest", {"title": "咨询社保", "content": "想问一下社保怎么转移到外地"}).content.decode()
    assert "未识别" in unknown


def test_intake_has_no_coordinate_inputs_and_lists_its_shortcuts(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["operator"])
    html = client.get("/desk/intake").content.decode()
    assert 'type="hidden" name="lat"' in html and 'type="hidden" name="lng"' in html
    assert "纬度" not in html
    assert "Ctrl+Enter" in html and "Alt+G" in html
