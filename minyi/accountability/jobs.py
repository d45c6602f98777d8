"""Periodic work of accountability: the SLA sweep with its reminders (催办 → 督办 → 挂牌督办, 催签, 回访超期)."""

from __future__ import annotations

from minyi.jobs.periodic import periodic


@periodic("sla.sweep", every=300, timeout=1800)
def sla_sweep() -> None:
    from minyi.accountability.scheduler import run_sweep

    run_sweep()
