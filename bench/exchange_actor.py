"""The staff of one instance in ``bench/exchange.py``: runs inside that instance's environment.

    python bench/exchange_actor.py city|district ORDERS

city: registers ORDERS appeals and dispatches them to the district platform, then refuses
every 退单, approves two 延期 in three (denies the third), approves each reply, calls back
(one order in twenty is rated 不满意 the first time, which orders a 重办) and closes.
district: claims each order (one in ten is returned first, once), asks for 延期 on one in
seven, replies and approves its own reply. Each exits when all its linked orders are closed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections  # noqa: E402

from minyi.appeals import services as a  # noqa: E402
from minyi.appeals.models import Appeal  # noqa: E402
from minyi.exchange.models import Link  # noqa: E402
from minyi.exchange.testing import _orders  # noqa: E402
from minyi.workflow.machine import State  # noqa: E402
from minyi.workflow.models import AuditEvent  # noqa: E402
from minyi.workflow.services import SYSTEM, ActionForbidden, TransitionError  # noqa: E402


def seq(number: str) -> int:
    return int(number.rsplit("-", 1)[-1])


def linked(direction: str) -> list[tuple[str, Appeal]]:
    rows = Link.objects.filter(direction=direction).select_related("appeal").exclude(appeal__status=State.CLOSED)
    return [(link.order_id, link.appeal) for link in rows]


def district_pass() -> int:
    acted = 0
    asked = set(AuditEvent.objects.filter(event="request_extension").values_list("appeal_id", flat=True))
    for order_id, appeal in linked("in"):
        n = seq(order_id)
        try:
            if appeal.state is State.DISPATCHED:
                if n % 10 == 3 and appeal.return_count == 0:
                    a.return_appeal(appeal, reason="经核实不属于本区管辖", by=SYSTEM)
                else:
                    a.claim_appeal(appeal, by=SYSTEM)
            elif appeal.state is State.IN_PROGRESS:
                if appeal.extension_days_requested is not None:
                    continue  # waiting for the city's verdict
                if n % 7 == 2 and appeal.pk not in asked:
                    a.request_extension(appeal, days=3, reason="需协调多个部门联合处置", by=SYSTEM)
                else:
                    a.reply_appeal(appeal, reply=f"工单{order_id}：已责令施工单位夜间停工（第{appeal.reopen_count + 1}次答复）", by=SYSTEM)
            elif appeal.state is State.REPLIED:
                a.approve_reply(appeal, by=SYSTEM)
            else:
                continue
            acted += 1
        except (TransitionError, ActionForbidden):
            continue  # the city's event changed it meanwhile: next pass
    return acted


def city_pass() -> int:
    acted = 0
    for order_id, appeal in linked("out"):
        n = seq(order_id)
        try:
            if appeal.state is State.RETURN_REQUESTED:
                a.reject_return(appeal, reason="经核实属于该区管辖，请继续办理", by=SYSTEM)
            elif appeal.state is State.IN_PROGRESS and appeal.extension_days_requested is not None:
                if n % 3 == 0:
                    a.deny_extension(appeal, reason="时限内可以办结", by=SYSTEM)
                else:
                    a.approve_extension(appeal, by=SYSTEM, reason="同意延期")
            elif appeal.state is State.REPLIED:
                a.approve_reply(appeal, by=SYSTEM)
            elif appeal.state is State.PENDING_CALLBACK:
                bad = n % 20 == 5 and appeal.reopen_count == 0
                a.record_callback(appeal, satisfaction=1 if bad else 5, resolved=not bad, comment="仍有噪音" if bad else "满意", by=SYSTEM)
            else:
                continue
            acted += 1
        except (TransitionError, ActionForbidden):
            continue
    return acted


def main() -> None:
    role, total = sys.argv[1], int(sys.argv[2])
    started = time.monotonic()
    if role == "city":
        for start in range(0, total, 100):
            _orders(min(100, total - start), prefix="压测")
        print(json.dumps({"dispatched": total, "seconds": round(time.monotonic() - started, 1)}), flush=True)
    direction = "out" if role == "city" else "in"
    while True:
        close_old_connections()
        acted = city_pass() if role == "city" else district_pass()
        links = Link.objects.filter(direction=direction)
        if links.count() >= total and not links.exclude(appeal__status=State.CLOSED).exists():
            break
        if not acted:
            time.sleep(1.0)
    print(json.dumps({"role": role, "closed": total, "seconds": round(time.monotonic() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
