"""Small markets for the learning-lender environments (tests/markets/two_lenders.yaml)."""

from __future__ import annotations

import pytest

import simfin
from tests.conftest import EARLY_MODEL, FAST_EVENTS, TWO_LENDERS

# A tiny market for the API checks: a month of lending, three 10-day decisions.
TINY = {"population.n_consumers": 1_000, "run.steps": 30, "run.seed": 5}
# A market in which the scored lender's model goes live (day 63) and losses show: the
# lever tests run it for 90 days, in 10-day decisions.
LIVE = {**FAST_EVENTS, **EARLY_MODEL, "population.n_consumers": 2_000, "run.steps": 90,
        "population.fraud_share": 0.05, "run.seed": 1}


@pytest.fixture(scope="session")
def tiny_config():
    """The tiny market's validated config (read-only)."""
    return simfin.load_config(TWO_LENDERS, TINY)


@pytest.fixture(scope="session")
def live_config():
    """The market whose scored lender's model goes live (read-only)."""
    return simfin.load_config(TWO_LENDERS, LIVE)
