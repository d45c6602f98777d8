"""Two real minyi instances on loopback (``minyi serve``, separate SQLite databases), talking the signed protocol.

The city dispatches to its department for the district platform; each scenario ends with
both sides in the same state, with the same reply and rating.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minyi.exchange.testing import Instance, setup_pair

PORTS = (8560, 8561)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    base = tmp_path_factory.mktemp("exchange-pair")
    template = base / "template.sqlite3"
    env = {**Instance("t", 0, f"sqlite:///{template}", base / "t").env}
    subprocess.run([sys.executable, "-m", "minyi.cli", "migrate", "-v0"], env=env, check=True, timeout=900)
    city = Instance("city", PORTS[0], f"sqlite:///{base / 'city.sqlite3'}", base / "city")
    district = Instance("district", PORTS[1], f"sqlite:///{base / 'district.sqlite3'}", base / "district")
    for inst in (city, district):
        shutil.copy(template, Path(inst.database_url.removeprefix("sqlite:///")))
    setup_pair(city, district, auto_dispatch="hbj")
    city.start()
    district.start()
    try:
        yield city, district
    finally:
        city.kill()
        district.kill()


def same(city: Instance, district: Instance, order: str) -> dict[str, Any]:
    c, d = city.call("state", order), district.call("state", order)
    assert (c["status"], c["reply"], c["satisfaction"], c["reopen_count"]) == (d["status"], d["reply"], d["satisfaction"], d["reopen_count"])
    return c  # type: ignore[no-any-return]


def test_the_upstream_refuses_a_return(pair: tuple[Instance, Instance]) -> None:
    city, district = pair
    (order,) = city.call("orders", "1")
    assert district.call("state", order)["department"] == "hbj"  # arrived and dispatched by the mapping
    district.call("act", "claim", order)
    assert city.call("state", order)["status"] == "in_progress"
    district.call("act", "return", order, "经核实不属于本区管辖")
    assert city.call("state", order)["status"] == "return_requested"
    city.call("act", "reject_return", order, "属于该区管辖，请继续办理")
    assert same(city, district, order)["status"] == "dispatched"
    district.call("act", "claim", order)
    district.call("act", "reply", order, "已协调施工单位夜间停工")
    district.call("act", "approve_reply", order)
    city.call("act", "approve_reply", order)
    assert same(city, district, order)["status"] == "pending_callback"
    city.call("act", "rate", order, "5")
    final = same(city, district, order)
    assert (final["status"], final["reply"], final["satisfaction"]) == ("closed", "已协调施工单位夜间停工", 5)
    assert city.call("summary")["mismatches"] == district.call("summary")["mismatches"] == 0


def test_the_upstream_orders_a_redo_after_a_bad_rating(pair: tuple[Instance, Instance]) -> None:
    city, district = pair
    (order,) = city.call("orders", "1")
    district.call("act", "claim", order)
    district.call("act", "request_extension", order, "3")
    city.call("act", "approve_extension", order)
    district.call("act", "reply", order, "第一次答复")
    district.call("act", "approve_reply", order)
    city.call("act", "approve_reply", order)
    city.call("act", "rate", order, "1")
    redo = same(city, district, order)
    assert (redo["status"], redo["satisfaction"], redo["reopen_count"]) == ("dispatched", 1, 1)
    district.call("act", "claim", order)
    district.call("act", "reply", order, "第二次答复：已停工并复查")
    district.call("act", "approve_reply", order)
    city.call("act", "approve_reply", order)
    city.call("act", "rate", order, "4")
    final = same(city, district, order)
    assert (final["status"], final["reply"], final["satisfaction"]) == ("closed", "第二次答复：已停工并复查", 4)


def test_a_peer_that_is_down_delays_but_loses_nothing(pair: tuple[Instance, Instance]) -> None:
    city, district = pair
    district.kill()
    try:
        (order,) = city.call("orders", "1")
        assert city.call("summary")["backlog"] >= 1  # the push failed: the order waits in the city's outbox
    finally:
        district.start()
    district.call("sync")  # the district pulls (and acknowledges) what it missed
    assert district.call("state", order)["status"] == "dispatched"
    assert city.call("summary")["backlog"] == 0
    district.call("act", "claim", order)
    assert city.call("state", order)["status"] == "in_progress"


def test_status_and_reconcile_commands(pair: tuple[Instance, Instance]) -> None:
    city, district = pair
    (order,) = city.call("orders", "1")
    district.call("act", "claim", order)
    status = city.minyi("exchange", "status")
    assert "minghu" in status and "待送达" in status
    assert "minghu: 新发现 0 件不一致，待处理共 0 件" in city.minyi("exchange", "reconcile")
    assert "city: 新发现 0 件不一致" in district.minyi("exchange", "reconcile")
