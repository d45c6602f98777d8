"""The KPI formulas against hand-computed examples (the worked examples of docs/cockpit.md)."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.cockpit import kpi

EXAMPLE = kpi.Counts(
    created=20,
    dispatched=16,
    claimed_on_time=12,
    rated=10,
    sat_5=4,
    sat_4=2,
    sat_3=2,
    sat_2=1,
    sat_1=1,
    called_back=10,
    resolved=7,
    closed_with_due=10,
    closed_on_time=9,
    returned=2,
    reopened=1,
    bad_rated=2,
    bad_rating_called_back=1,
)


def test_every_rate_by_hand() -> None:
    r = kpi.rates(EXAMPLE)
    assert r == {
        "response": 0.75,  # 12 / 16
        "resolution": 0.7,  # 7 / 10
        "satisfaction": 0.76,  # (4*1 + 2*1 + 2*0.8 + 0 + 0) / 10 = 7.6 / 10
        "on_time": 0.9,  # 9 / 10
        "return": 0.125,  # 2 / 16
        "reopen": 0.1,  # 1 / 10
        "bad_rating_callback": 0.5,  # 1 / 2
    }


def test_empty_denominators_are_none() -> None:
    assert set(kpi.rates(kpi.Counts(created=3)).values()) == {None}
    assert kpi.composite(kpi.rates(kpi.Counts())) is None


def test_counts_add_fieldwise() -> None:
    doubled = EXAMPLE + EXAMPLE
    assert doubled.dispatched == 32
    assert doubled.sat_3 == 4
    assert kpi.total([EXAMPLE, EXAMPLE, kpi.Counts()]) == doubled
    assert kpi.rates(doubled) == kpi.rates(EXAMPLE)


def test_composite_by_hand() -> None:
    # 0.2*0.75 + 0.3*0.7 + 0.3*0.76 + 0.1*0.9 + 0.05*(1-0.125) + 0.05*(1-0.1) = 0.76675
    assert kpi.composite(kpi.rates(EXAMPLE)) == pytest.approx(76.675, abs=0.0051)
    # Missing rates drop out and the weights renormalise: only response (0.75) and return (0.125).
    partial = {"response": 0.75, "return": 0.125, "resolution": None}
    assert kpi.composite(partial) == round(100 * (0.2 * 0.75 + 0.05 * 0.875) / 0.25, 2) == 77.5


def test_settings_change_weights_targets_and_formulas(settings: Any) -> None:
    settings.MINYI_KPI = {
        "satisfaction_weights": {3: 0.5},
        "targets": {"response": 0.9},
        "composite_weights": {"response": 1.0, "resolution": 0, "satisfaction": 0, "on_time": 0, "return": 0, "reopen": 0},
        "rates": {"reopen": ["reopened", "called_back"], "rating_share": ["rated", "created"]},
    }
    r = kpi.rates(EXAMPLE)
    assert r["satisfaction"] == 0.7  # (4 + 2 + 2*0.5) / 10
    assert r["rating_share"] == 0.5  # 10 / 20
    assert kpi.targets()["response"] == 0.9
    assert kpi.targets()["resolution"] == 0.8
    assert kpi.composite(r) == 75.0


@pytest.mark.parametrize("key", kpi.RATE_KEYS)
def test_every_rate_has_a_label_formula_and_target(key: str) -> None:
    assert key in kpi.RATE_LABELS
    assert key in kpi.DEFAULT_FORMULAS
    assert key in kpi.DEFAULT_TARGETS
