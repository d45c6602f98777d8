"""Run the SLA sweep: once (``minyi sla sweep``, for cron) or every few minutes in-process (the demo).

``run_sweep`` wraps ``minyi.workflow.sweep.sweep`` with what accountability adds: a
督办单 for every appeal that reached 督办 or 挂牌督办, one digest notification per
department and step (not one per appeal) sent after commit, and the 催签 / 回访超期
reminders of ``minyi.accountability.reminders`` (each once per appeal and deadline).
Notice texts are gettext, written in the site's language (``core.notify.notice_language``).

The in-process scheduler is a daemon thread. It starts only when asked: ``minyi sla
run`` in the foreground, or ``MINYI_SLA_SWEEP_INTERVAL=<seconds>`` in the environment of
a ``minyi serve`` / ``minyi demo`` / ``runserver`` process.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading

from django.db import close_old_connections, connection, transaction
from django.utils.translation import gettext, gettext_noop

from minyi.accountability import reminders
from minyi.accountability.hooks import order_due
from minyi.accountability.models import SupervisionOrder
from minyi.core.notify import Notice, notice_language
from minyi.directory.models import Department
from minyi.workflow import sweep as engine
from minyi.workflow.policy import Role
from minyi.workflow.services import department_user_ids, queue_notices, users_in_role

logger = logging.getLogger("minyi.sla")

# (label, body) of each step's digest; translated when the notice is written.
STEP_TEXT = {
    1: (gettext_noop("催办"), gettext_noop("您单位有 %(n)d 件诉求已超过答复时限，请尽快办理。")),
    2: (gettext_noop("督办"), gettext_noop("您单位有 %(n)d 件诉求超期未办结，已下达督办单，请部门负责人于时限内书面回复。")),
    3: (gettext_noop("挂牌督办"), gettext_noop("您单位有 %(n)d 件诉求严重超期，已挂牌督办并在驾驶舱公示，请领导关注。")),
}


def run_sweep(now: dt.datetime | None = None) -> engine.SweepResult:
    with transaction.atomic():
        result = engine.sweep(now)
        notices: list[Notice] = []
        names = dict(Department.objects.values_list("pk", "name"))
        leaders = users_in_role(Role.LEADER)
        for level, changed in result.escalated.items():
            if not changed.rows:
                continue
            if level >= 2:
                reason = f"超期{STEP_TEXT[level][0]}（时限巡检）"
                due = order_due(result.now)
                _issue_orders(changed, level, reason, result.now, due)
            label, text = STEP_TEXT[level]
            for dept, ids in changed.by_department().items():
                users = department_user_ids(dept)
                if level == 3:
                    users = tuple(sorted({*users, *leaders}))
                with notice_language():
                    department = names.get(dept) if dept else None
                    subject = gettext("【%(label)s】%(department)s：%(n)d 件诉求") % {
                        "label": gettext(label), "department": department or gettext("未派单"), "n": len(ids),
                    }
                    body = gettext(text) % {"n": len(ids)}
                notices.append(
                    Notice(
                        kind=f"sla_{engine.LADDER[level - 1][1].value}:department",
                        subject=subject,
                        body=body,
                        user_ids=users,
                        extra={"appeal_ids": ",".join(str(i) for i in ids[:50])},
                    )
                )
        queue_notices(notices)
        result.reminders = reminders.send_due_reminders(result.now).counts()
    logger.info("SLA sweep %s", result.summary())
    return result


def _issue_orders(changed: engine.Changed, level: int, reason: str, now: dt.datetime, due: dt.datetime) -> None:
    """One 督办单 per escalated appeal; on PostgreSQL one INSERT … SELECT unnest(…) statement."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(SupervisionOrder._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (appeal_id, department_id, level, reason, issued_at, issued_by_label, response_due_at, response) "  # noqa: S608
                "SELECT a, d, %s, %s, %s, %s, %s, '' FROM unnest(%s::bigint[], %s::bigint[]) AS u(a, d) ON CONFLICT DO NOTHING",
                [level, reason, now, engine.SYSTEM_LABEL, due, [r[0] for r in changed.rows], [r[2] for r in changed.rows]],
            )
        return
    SupervisionOrder.objects.bulk_create(
        [
            SupervisionOrder(
                appeal_id=appeal_id,
                department_id=dept,
                level=level,
                reason=reason,
                issued_at=now,
                issued_by_label=engine.SYSTEM_LABEL,
                response_due_at=due,
            )
            for appeal_id, _, dept in changed.rows
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def run_forever(interval_s: float, stop: threading.Event | None = None) -> None:
    """Sweep every ``interval_s`` seconds, the first time after one interval, until ``stop`` is set."""
    stop = stop or threading.Event()
    while not stop.wait(interval_s):
        try:
            run_sweep()
        except Exception:
            logger.exception("SLA sweep failed; will retry in %ss", interval_s)
        finally:
            close_old_connections()


_thread: threading.Thread | None = None


def start_background(interval_s: float) -> threading.Thread:
    """Start the in-process sweeper once per process (a daemon thread)."""
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=run_forever, args=(interval_s,), name="minyi-sla-sweep", daemon=True)
        _thread.start()
        logger.info("in-process SLA sweeper started, every %ss", interval_s)
    return _thread


SERVER_COMMANDS = {"serve", "demo", "runserver"}


def maybe_start_from_environment() -> None:
    interval = os.environ.get("MINYI_SLA_SWEEP_INTERVAL", "").strip()
    if not interval or len(sys.argv) < 2 or sys.argv[1] not in SERVER_COMMANDS:
        return
    try:
        seconds = float(interval)
    except ValueError:
        logger.warning("MINYI_SLA_SWEEP_INTERVAL=%r is not a number of seconds; sweeper not started", interval)
        return
    if seconds > 0:
        start_background(seconds)
