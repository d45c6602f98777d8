from __future__ import annotations

from typing import Any

import pytest

from minyi.directory.models import Department
from minyi.exchange.models import Peer

KEY = "unit-test-exchange-key-0123456789"


@pytest.fixture
def upstream(district: None) -> Peer:
    """Seen from the district: the city's platform, orders auto-dispatched to 区生态环境局."""
    return Peer.objects.create(code="city", remote_code="minghu", name="市12345平台", base_url="http://127.0.0.1:9", key=KEY, department_map={"*": "hbj"})


@pytest.fixture
def downstream(district: None) -> Peer:
    """Seen from the city: the district platform, behind the department ``remote-minghu``."""
    root = Department.objects.get(parent__isnull=True)
    department = Department.objects.create(code="remote-minghu", name="明湖区平台（远程）", kind=Department.Kind.DISTRICT, parent=root)
    return Peer.objects.create(code="minghu", remote_code="city", name="明湖区平台", base_url="http://127.0.0.1:9", key=KEY, department=department)


def order_event(order_id: str = "20261201-000007", event_id: str = "e-1", **body: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "kind": "order",
        "order_id": order_id,
        "body": {
            "title": "小区门口夜间施工噪音",
            "content": "每晚十点后仍在施工，影响休息，请处理。",
            "category": "hjbh-zs-3",
            "phone": "13800138000",
            "state": "dispatched",
            **body,
        },
    }


@pytest.fixture(autouse=True)
def _forget_peers() -> Any:
    """The remote-platform cache must not outlive a test's rolled-back peers."""
    from minyi.exchange.outgoing import forget

    forget()
    yield
    forget()
