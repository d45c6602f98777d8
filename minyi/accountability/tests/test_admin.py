"""The admin maintains reference data; action-written records are read-only there."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.accountability.models import AnnualTopic

pytestmark = pytest.mark.django_db


def test_annual_topics_are_maintained_in_the_admin(admin_client: Any) -> None:
    response = admin_client.post("/admin/accountability/annualtopic/add/", {"year": 2027, "title": "营商环境"})
    assert response.status_code == 302
    assert AnnualTopic.objects.filter(year=2027, title="营商环境").exists()
    assert admin_client.get("/admin/accountability/enterprise/add/").status_code == 200


@pytest.mark.parametrize("model", ["topic", "milestone", "engagement", "supervisionorder", "reminder", "recordaudit"])
def test_action_written_records_are_read_only(admin_client: Any, model: str) -> None:
    assert admin_client.get(f"/admin/accountability/{model}/").status_code == 200
    assert admin_client.get(f"/admin/accountability/{model}/add/").status_code == 403
