"""The periodic loop (``minyi sla run`` / MINYI_SLA_SWEEP_INTERVAL) seals the audit chains every round."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from minyi.accountability.scheduler import run_forever
from minyi.audit.models import SecurityEvent
from minyi.audit.tests.helpers import events


class OneRound(threading.Event):
    """Lets the loop run exactly one round, without waiting for any time to pass."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0

    def wait(self, timeout: Any = None) -> bool:
        self.rounds += 1
        return self.rounds > 1


@pytest.mark.django_db(transaction=True)
def test_one_round_of_the_loop_seals_new_rows(district: None) -> None:
    events(3)
    run_forever(300.0, OneRound())
    assert not SecurityEvent.objects.filter(seal_seq__isnull=True).exists()
    assert sorted(SecurityEvent.objects.values_list("seal_seq", flat=True)) == [1, 2, 3]
