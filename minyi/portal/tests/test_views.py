"""The portal's submit page sends a question to 小惠 before it becomes an appeal."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_submit_page_offers_xiaohui_first(client: Any, district: None) -> None:
    html = client.get("/portal/").content.decode()
    assert 'data-testid="ask-xiaohui"' in html and 'action="/assistant/"' in html and "问小惠" in html
