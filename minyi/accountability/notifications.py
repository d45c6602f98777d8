"""The in-app notification centre: every notice addressed to users also lands in their inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from minyi.accountability.models import Notification
from minyi.core.notify import Notice


def store_in_app(notice: Notice) -> None:
    """A notification sink (see ``minyi.core.notify.SINKS``): one row per addressed user."""
    if not notice.user_ids:
        return
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=notice.kind[:60],
                subject=notice.subject[:200],
                body=notice.body,
                appeal_number=notice.appeal_number,
                created_at=now,
            )
            for user_id in sorted(set(notice.user_ids))
        ],
        batch_size=1000,
    )


def inbox(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk)


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or ``ids``); returns how many changed."""
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
