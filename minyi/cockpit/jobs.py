"""Periodic work of the cockpit: rollups and hot topics stay current without anyone running a command."""

from __future__ import annotations

from minyi.jobs.periodic import periodic


@periodic("cockpit.refresh", every=60)
def refresh_rollups() -> None:
    from minyi.cockpit import rollup

    rollup.refresh()


@periodic("cockpit.hot_topics", every=3600, timeout=1800)
def hot_topics() -> None:
    from minyi.cockpit import hot

    hot.compute_and_store()
