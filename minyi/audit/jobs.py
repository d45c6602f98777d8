"""Periodic work of the audit app: seal new audit rows often, apply the security log's retention daily."""

from __future__ import annotations

from minyi.jobs.periodic import periodic


@periodic("audit.seal", every=60, timeout=1800)
def audit_seal() -> None:
    from minyi.audit.chain import seal_all

    seal_all()


@periodic("audit.retention", every=86400, timeout=3600)
def audit_retention() -> None:
    from minyi.audit.retention import apply_retention

    apply_retention()
