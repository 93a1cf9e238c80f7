"""The economy: the macroeconomic path in force each day (``macro:`` of the config).

The :class:`Economy` turns the path's points into the day's :class:`MacroState`; the model
hands the state to the population each morning, and consumers and lenders feel it through
the mechanics they already have:

- ``job_loss`` scales the daily incidence of income shocks
  (:meth:`~simfin.agents.population.Population.step_shocks`);
- ``shock_income`` scales the share of income a shocked consumer keeps, ``income`` every
  consumer's income (:meth:`~simfin.agents.population.Population.income_cents`): disposable
  income, and so repayment capacity, pay and cure probabilities follow;
- ``demand`` scales each scenario's need rate and ``online_shift`` moves its online share
  (:meth:`~simfin.agents.scenario.MerchantScenario.generate_needs`);
- ``collections`` scales every lender's daily cure rate (``MarketModel.service_loans``);
- ``funding_rate_shift`` moves every lender's cost of funds (``Lender.fund``).

A steady economy has no points: its state is :data:`STEADY`, every hook skips its
arithmetic, and the run is bit for bit the market without a ``macro`` section. Only the
``regimes`` scenario draws random numbers (one uniform a day of expansion, from the model's
generator): a recession starts with probability 1 / ``macro.expansion_days`` and runs the
``macro.recession_path`` from its first day to its last point, then expansion resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simfin.config.macro import DAYS_PER_MONTH, MacroConfig, MacroPaths

DRIVERS = ("job_loss", "shock_income", "income", "online_shift", "collections",
           "funding_rate_shift")
"""The drivers common to every scenario, in the order of the recorded columns."""


@dataclass(frozen=True)
class MacroState:
    """The drivers in force on one day (neutral values: the steady market).

    Attributes:
        job_loss: Factor on the income-shock incidence.
        shock_income: Factor on the share of income kept during a shock.
        income: Factor on every consumer's income.
        online_shift: Added to every scenario's online share.
        collections: Factor on the lenders' daily cure rate.
        funding_rate_shift: Added to the lenders' yearly cost of funds.
        demand: Factor on each scenario's need rate, by scenario index (empty: all 1).
    """

    job_loss: float = 1.0
    shock_income: float = 1.0
    income: float = 1.0
    online_shift: float = 0.0
    collections: float = 1.0
    funding_rate_shift: float = 0.0
    demand: tuple[float, ...] = ()

    def demand_of(self, scenario: int) -> float:
        """The need-rate factor of the scenario at index ``scenario``."""
        return self.demand[scenario] if self.demand else 1.0


STEADY = MacroState()


class Economy:
    """The path of the run's drivers, day by day.

    Args:
        config: The ``macro`` section.
        scenarios: ``(name, product kind)`` of each merchant scenario, in config order:
            a demand path applies to a scenario by its name, else by its product.
    """

    def __init__(self, config: MacroConfig, scenarios: list[tuple[str, str]]) -> None:
        self.config = config
        self.scenario_names = [name for name, _ in scenarios]
        paths = config.paths()
        self.steady = paths.is_empty()
        self.regimes = config.scenario == "regimes"
        # Regimes: the day the current recession started (None in expansion).
        self.recession_since: int | None = None
        unit = DAYS_PER_MONTH if paths.time_unit == "month" else 1
        self._knots = {name: _knots(getattr(paths, name), unit) for name in DRIVERS}
        self._demand = [_knots(_demand_path(paths, name, product), unit)
                        for name, product in scenarios]
        ends = [k[0][-1] for k in (*self._knots.values(), *self._demand) if k is not None]
        self.path_days = int(np.ceil(max(ends))) if ends else 0  # the last point's time

    def state(self, day: int, rng: np.random.Generator | None = None) -> MacroState:
        """The drivers in force on ``day``: neutral before ``macro.start_day`` and for a
        driver with no points; interpolated between points, flat after the last.

        With ``regimes``, call once a day in order with the model's generator: in
        expansion a recession may start (one draw); a recession runs its path until the
        last point, and the day after it ends is expansion again.
        """
        if self.steady or day < self.config.start_day:
            return STEADY
        origin = self.config.start_day
        if self.regimes:
            if rng is None:
                raise ValueError("the regimes scenario needs the model's generator")
            if self.recession_since is not None and day - self.recession_since > self.path_days:
                self.recession_since = None
            if self.recession_since is None:
                if rng.random() >= 1.0 / self.config.expansion_days:
                    return STEADY
                self.recession_since = day
            origin = self.recession_since
        t = day - origin
        values = {name: _at(knots, t, getattr(STEADY, name))  # neutral: STEADY's value
                  for name, knots in self._knots.items()}
        demand = tuple(_at(knots, t, 1.0) for knots in self._demand)
        return MacroState(**values, demand=demand if any(d != 1.0 for d in demand) else ())

    def record(self, state: MacroState) -> dict[str, float]:
        """The state as columns for ``steps.parquet`` (``macro_<driver>``,
        ``macro_demand_<scenario>``, and with regimes ``macro_recession``: 1 in a
        recession).
        """
        row = {f"macro_{name}": getattr(state, name) for name in DRIVERS}
        if self.regimes:
            row["macro_recession"] = float(self.recession_since is not None)
        row.update({f"macro_demand_{name}": state.demand_of(i)
                    for i, name in enumerate(self.scenario_names)})
        return row


def _demand_path(paths: MacroPaths, name: str, product: str) -> list:
    """A scenario's demand path: by its name, else by its product kind, else none."""
    return paths.demand.get(name, paths.demand.get(product, []))


def _knots(points: list, unit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The path's points as (days from the path's start, value) arrays; None for an
    empty path.
    """
    if not points:
        return None
    times = np.array([p[0] for p in points], dtype=np.float64) * unit
    return times, np.array([p[1] for p in points], dtype=np.float64)


def _at(knots: tuple[np.ndarray, np.ndarray] | None, t: int, neutral: float) -> float:
    """The path's value ``t`` days from its start: linear between points, the first value
    before the first point and the last after the last.
    """
    if knots is None:
        return neutral
    return float(np.interp(t, *knots))
