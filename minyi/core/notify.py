"""Notifications behind a small interface; the backend is chosen by settings.

``console`` (default) logs each notice, ``locmem`` keeps them in ``OUTBOX`` for tests,
``email`` sends through Django's e-mail backend to recipients that have an address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

logger = logging.getLogger("minyi.notify")


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str
    user_ids: tuple[int, ...] = ()
    appeal_number: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Notifier(Protocol):
    def send(self, notice: Notice) -> None: ...


class ConsoleNotifier:
    def send(self, notice: Notice) -> None:
        logger.info("[%s] %s → users %s: %s", notice.kind, notice.subject, list(notice.user_ids), notice.body)


class NullNotifier:
    """Drops notices: for bulk seeding and imports of historical appeals."""

    def send(self, notice: Notice) -> None:
        return None


OUTBOX: list[Notice] = []


class LocmemNotifier:
    def send(self, notice: Notice) -> None:
        OUTBOX.append(notice)


class EmailNotifier:
    def send(self, notice: Notice) -> None:
        users = get_user_model().objects.filter(pk__in=notice.user_ids).exclude(email="")
        addresses = [u.email for u in users]
        if addresses:
            send_mail(notice.subject, notice.body, None, addresses, fail_silently=False)


BACKENDS: dict[str, type[ConsoleNotifier] | type[LocmemNotifier] | type[EmailNotifier] | type[NullNotifier]] = {
    "null": NullNotifier,
    "console": ConsoleNotifier,
    "locmem": LocmemNotifier,
    "email": EmailNotifier,
}


def get_notifier() -> Notifier:
    name = settings.MINYI_NOTIFY_BACKEND
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(f"unknown MINYI_NOTIFY_BACKEND {name!r}; choose one of {sorted(BACKENDS)}") from None


def deliver(notice: Notice) -> None:
    """Send a notice; a failing backend is logged, never allowed to undo the action."""
    try:
        get_notifier().send(notice)
    except Exception:
        logger.exception("notification %s for %s failed", notice.kind, notice.appeal_number)
