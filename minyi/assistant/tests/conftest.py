from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from minyi.assistant import services
from minyi.workflow.calendar import SHANGHAI

TODAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def frozen() -> Iterator[dt.datetime]:
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


@pytest.fixture
def kb(db: None, frozen: dt.datetime, settings: Any) -> Iterator[None]:
    """The bundled demo knowledge base, loaded fresh; the extractive engine; no embeddings."""
    settings.MINYI_ASSISTANT_LLM = None
    settings.MINYI_ASSISTANT_EMBEDDINGS = False
    services.forget_indexes()
    services.load_kb()
    yield
    services.forget_indexes()
