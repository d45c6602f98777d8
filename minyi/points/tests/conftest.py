from __future__ import annotations

from typing import Any

import pytest

from minyi.conftest import make_user
from minyi.directory.models import GridCell
from minyi.points import services
from minyi.points.models import Point
from minyi.points.services import PointData
from minyi.workflow.policy import Role
from minyi.workflow.services import SYSTEM


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from django.core.cache import cache

    cache.clear()  # the portal's submit limit counts per address, and every test client is 127.0.0.1


@pytest.fixture
def scale(district: None) -> Point:
    data = PointData(
        kind=Point.Kind.SCALE, name="枫亭菜场 3号 老王蔬菜", grid=GridCell.objects.get(code="qfjd-ft"), address="青枫路 18 号枫亭菜场",
        market="枫亭菜场", merchant="老王蔬菜", stall="3号", verification=Point.Verification.VALID,
    )  # fmt: skip
    import datetime as dt

    data.verified_on = dt.date(2026, 5, 12)
    return services.create_point(data, by=SYSTEM)


@pytest.fixture
def stand(district: None) -> Point:
    from decimal import Decimal

    data = PointData(kind=Point.Kind.STAND, name="随手拍立牌·湖滨骑手驿站", grid=GridCell.objects.get(code="mhjd-hb"),
                     address="湖滨大道 88 号（湖滨骑手驿站）", lat=Decimal("31.318000"), lng=Decimal("120.598000"))  # fmt: skip
    return services.create_point(data, by=SYSTEM)


@pytest.fixture
def scj_handler(district: None) -> Any:
    return make_user("scjh", Role.HANDLER, "scj")
