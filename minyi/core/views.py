"""Health and metrics endpoints live in ``minyi.core.observability``; this module re-exports them."""

from minyi.core.observability import healthz, metrics, readyz

__all__ = ["healthz", "metrics", "readyz"]
