"""The request being served, for signal receivers (role changes) that Django calls without one.

One context variable for the whole project: ``minyi.audit.middleware`` sets it for every request.
"""

from __future__ import annotations

from minyi.audit.middleware import _current as current_request

__all__ = ["current_request"]
