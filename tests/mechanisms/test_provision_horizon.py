"""Provisions make a short run rank a loose and a tight lender as their loans' lives do.

The platform lender lends on its rules only (loose: more loans, more of them go bad) or with
its model live (tight). Over a short run before provisions, the loose lender is ahead: its
extra loans pay interest while their losses are not yet written off (180 days past due).
Counted to their end (a run-off), the tight lender's loans earn more. IFRS 9 provisions
charge the expected loss when the risk is taken, so the short run's profit after them
already puts the tight lender ahead. Paired seeds; on a small market where the lifetime
order is clear (on the shipped lender_strategies market it is not resolved:
experiments/README.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin
from tests.conftest import before_roles

ROOT = Path(__file__).resolve().parents[2]
LENDING_DAYS = 240
# The default market's longest term (360 days), the 180 days to write-off, and a margin.
RUNOFF_DAYS = 570
SEEDS = (1, 2, 3)
MARKET = {"population.n_consumers": 3_000, "run.steps": LENDING_DAYS,
          "run.runoff_days": RUNOFF_DAYS, "lenders.1.pricing.strategy": "flat",
          # the platform's model goes live within the short run on a small market
          "lenders.1.risk.model.min_outcomes": 50,
          "lenders.1.risk.model.min_bad_outcomes": 15,
          # the market this test was designed for, before the default market's roles
          # (issue 24): the platform funds its loans alone, so its profit bears its whole
          # loss (co-funded, the bank bears 70 % of it), and the bank has no app of its
          # own (with it the bank takes a quarter of the consumers, the better-off, and the
          # platform's model never went live on seed 2, measured without co-lending)
          **before_roles()}
STRATEGIES = {"rules_only": {"lenders.1.risk.model.kind": "none"}, "model_flat": {}}


@pytest.fixture(scope="module")
def horizons():
    """Per strategy and seed: the platform's loans, model start, allowance at the end of the
    short run, and its profit over the short run before and after provisions and over the
    loans' lives, in cents."""
    out = {}
    for name, overrides in STRATEGIES.items():
        for seed in SEEDS:
            config = simfin.load_config(ROOT / "configs" / "baseline.yaml",
                                        {**MARKET, **overrides, "run.seed": seed})
            result = simfin.run(config)
            rows = result.steps[result.steps["lender"] == "platform"]
            short = rows[rows["day"] < LENDING_DAYS]
            platform = result.summary["lenders"]["platform"]
            out[name, seed] = {
                "loans": platform["loans"], "model_since": platform.get("model_since_day"),
                "allowance": int(short[short["day"] == LENDING_DAYS - 1]["allowance"].sum()),
                "before": int(short["profit"].sum()),
                "after": int(short["profit_after_provisions"].sum()),
                "lifetime": int(rows["profit"].sum())}
    return out


def gaps(horizons: dict, key: str) -> np.ndarray:
    """rules_only minus model_flat, seed by seed."""
    return np.array([horizons["rules_only", s][key] - horizons["model_flat", s][key]
                     for s in SEEDS])


def test_provisions_order_a_short_run_as_the_loans_lifetime(horizons):
    # Preconditions: both lent, the model decided within the short run, and the short run
    # ended with an allowance on the books.
    for (name, seed), run in horizons.items():
        assert run["loans"] > 1_000, (name, seed)
        assert run["allowance"] > 0, (name, seed)
    for seed in SEEDS:
        assert horizons["rules_only", seed]["model_since"] is None
        assert horizons["model_flat", seed]["model_since"] is not None
        assert horizons["model_flat", seed]["model_since"] < LENDING_DAYS - 30
    lifetime, before, after = gaps(horizons, "lifetime"), gaps(horizons, "before"), \
        gaps(horizons, "after")
    # Over the loans' lives the tight lender is ahead on every seed ...
    assert (lifetime < 0).all(), lifetime
    # ... which the short run before provisions gets the wrong way round on every seed ...
    assert (before > 0).all(), before
    # ... and after provisions the right way round, on every seed and beyond the spread.
    # (measured, yuan: lifetime -32.9k/-40.1k/-47.4k, before +18.0k/+8.1k/+2.2k, after
    # -56.5k/-63.6k/-47.4k; the model live from day 150/150/180)
    assert (after < 0).all(), after
    assert after.mean() + 2 * after.std(ddof=1) < 0, after
