"""The model reporters of Mesa's ``DataCollector``: per lender and for the market.

Every reporter is one number per day. Flows (applications, approvals, loans, defaults,
losses, profit before and after provisions) are **run-to-date totals** since day 0, so the
last collected row is the run's outcome (what ``mesa.batch_run`` keeps by default) and a
daily series is its difference. Balances (outstanding, 30+ DPD, the allowance,
satisfaction) are end-of-day values.

Names: ``<indicator>__<lender>`` for a lender (``profit_cents__platform``) and
``<indicator>`` for the market (the sum over lenders; ``approval_rate`` and
``satisfaction`` are recomputed, not summed). Money is in cents.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

# The reporters read a MarketModel's config, recorder and ledger; typed as a plain Mesa model
# so that this module does not import the model that imports it (under a name of its own:
# calling it MarketModel here would shadow the real class).
Market = mesa.Model

SEPARATOR = "__"

# Reporter -> the recorder's daily column(s) it accumulates (+) or nets (-).
FLOWS: dict[str, tuple[tuple[str, int], ...]] = {
    "applications": (("applications", 1),),
    "approvals": (("approvals", 1),),
    "decided": (("approvals", 1), ("declined", 1), ("referred", 1)),
    "loans": (("loans", 1),),
    "defaults": (("new_defaults", 1),),
    "losses_cents": (("written_off", 1), ("recoveries", -1)),
    "profit_cents": (("profit", 1),),
    "profit_after_provisions_cents": (("profit_after_provisions", 1),),
}
BALANCES: dict[str, str] = {
    "outstanding_cents": "outstanding",
    "dpd30_cents": "dpd30_balance",
    "allowance_cents": "allowance",
    "active_loans": "active_loans",
    "satisfaction": "satisfaction",
}
INDICATORS = ("applications", "approvals", "approval_rate", "loans", "defaults",
              "losses_cents", "profit_cents", "outstanding_cents", "dpd30_cents",
              "satisfaction", "profit_after_provisions_cents", "allowance_cents")
"""The indicators reported per lender and for the market, in this order."""


class RunningTotals:
    """Run-to-date totals of the recorder's daily flows, advanced once per recorded day.

    The DataCollector calls many reporters per day; the first call of a day adds that
    day's flows, later calls (and repeated collections of the same day) add nothing.
    """

    def __init__(self, model: Market) -> None:
        self.model = model
        n = len(model.config.lenders)
        self._totals = {name: np.zeros(n, dtype=np.int64) for name in FLOWS}
        self._closed = 0

    def get(self, name: str) -> np.ndarray:
        """The run-to-date total of a flow, per lender."""
        recorder = self.model.recorder
        closed = len(self.model.ledger.history)  # days recorded so far
        if closed != self._closed:
            for flow, parts in FLOWS.items():
                for column, sign in parts:
                    self._totals[flow] += sign * np.asarray(recorder.today(column),
                                                            dtype=np.int64)
            self._closed = closed
        return self._totals[name]


def _lender_value(model: Market, totals: RunningTotals, indicator: str) -> np.ndarray:
    if indicator == "approval_rate":
        decided = totals.get("decided")
        return np.where(decided > 0, totals.get("approvals") / np.maximum(decided, 1), np.nan)
    if indicator in FLOWS:
        return totals.get(indicator)
    return np.asarray(model.recorder.today(BALANCES[indicator]))


def _market_value(model: Market, totals: RunningTotals, indicator: str) -> float:
    if indicator == "approval_rate":
        decided = int(totals.get("decided").sum())
        return int(totals.get("approvals").sum()) / decided if decided else float("nan")
    if indicator == "satisfaction":
        active = np.asarray(model.recorder.today("active_loans"), dtype=np.float64)
        values = np.asarray(model.recorder.today("satisfaction"), dtype=np.float64)
        weight = active.sum()
        return float(np.nansum(values * active) / weight) if weight else float("nan")
    return _lender_value(model, totals, indicator).sum().item()


def model_reporters(model: Market) -> dict[str, Callable[[Market], float]]:
    """Reporters for ``mesa.DataCollector(model_reporters=...)``: every indicator for the
    market and for each lender (see the module docstring for names and units).
    """
    totals = RunningTotals(model)
    reporters: dict[str, Callable[[Market], float]] = {}
    for indicator in INDICATORS:
        reporters[indicator] = (
            lambda m, ind=indicator: _market_value(m, totals, ind))
    for i, lender in enumerate(model.config.lenders):
        for indicator in INDICATORS:
            reporters[f"{indicator}{SEPARATOR}{lender.name}"] = (
                lambda m, ind=indicator, i=i: _lender_value(m, totals, ind)[i].item())
    return reporters
