"""The Celery application: ``minyi worker`` and ``minyi beat`` run it.

Broker: ``MINYI_BROKER_URL`` (Redis by default, ``amqp://`` for RabbitMQ). Tasks are
acknowledged late and re-queued if a worker dies, and the outbox row, not the broker
message, is the source of truth: a lost message costs only a few seconds until the relay.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")

app = Celery("minyi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["minyi.jobs"])


def beat_schedule() -> dict[str, dict[str, object]]:
    """The relay every few seconds, and every periodic task on its own interval."""
    from minyi.jobs.periodic import PERIODIC

    schedule: dict[str, dict[str, object]] = {"relay": {"task": "minyi.jobs.relay", "schedule": 5.0}}
    for name, spec in PERIODIC.items():
        schedule[name] = {"task": "minyi.jobs.periodic", "schedule": spec.every, "args": [name]}
    return schedule


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]
def _schedule(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = beat_schedule()
