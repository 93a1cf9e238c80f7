"""The macroeconomic path the market goes through (``macro:``): a named, sourced path or a
user-written one, of the drivers consumers and lenders feel.

A path is a list of ``[time, value]`` points per driver, ``time`` counted from
``macro.start_day`` in days or months (30 days); values are interpolated linearly between
points and held flat after the last one. A driver with no points stays neutral. The named
paths' numbers and their sources are in ``simfin/config/macro_paths.yaml``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import field_validator, model_validator

from simfin.config.base import Section, did_you_mean, param

NAMED_PATHS = ("steady", "adverse", "severe", "covid_2020")
"""The shipped paths; ``steady`` has no points (every driver neutral: today's market)."""
SCENARIOS = (*NAMED_PATHS, "custom", "regimes")
"""What ``macro.scenario`` may name: a shipped path, ``custom`` (``macro.custom``) or
``regimes`` (random recessions, ``macro.recession_path`` and ``macro.expansion_days``)."""
DAYS_PER_MONTH = 30
MAX_MULTIPLIER = 100.0
MAX_TIME = 100_000
"""Latest time of a path's point, in its time_unit: past the last day of any run
(macro.start_day, run.steps and run.runoff_days are each at most 36,500), and finite in
days when counted in months."""
Path = list[list[float]]


def _path(description: str, unit: str) -> Any:
    return param([], f"{description} Points [time, value], times increasing (0 to "
                 f"{MAX_TIME:,}); empty: neutral.", unit)


def check_path(points: list, low: float, high: float) -> list:
    """Refuse a path whose points are not ``[time, value]`` pairs with times from 0 to
    :data:`MAX_TIME` strictly increasing and values inside ``[low, high]``.
    """
    last = None
    for point in points:
        if len(point) != 2:
            raise ValueError(f"each point must be [time, value], got {point}")
        time, value = point
        if time < 0:
            raise ValueError(f"times must be >= 0, got {time:g}")
        if time > MAX_TIME:
            raise ValueError(f"times must be <= {MAX_TIME:,}, got {time:g}")
        if last is not None and time <= last:
            raise ValueError(f"times must be strictly increasing, got {time:g} after {last:g}")
        if not low <= value <= high:
            raise ValueError(f"values must be in [{low:g}, {high:g}], got {value:g}")
        last = time
    return points


class MacroPaths(Section):
    """The drivers of a macroeconomic path, each a list of ``[time, value]`` points."""

    time_unit: Literal["day", "month"] = param("day", "Unit of the points' times: 'day' or "
                                               "'month' (30 days), counted from "
                                               "macro.start_day.")
    job_loss: Path = _path("Multiplier on population.job_loss_rate: the incidence of income "
                           "shocks (unemployment). From 0 to 100.", "ratio")
    shock_income: Path = _path("Multiplier on population.shock_income_share, the share of "
                               "income kept during a shock (below 1: deeper shocks; the share "
                               "is capped at 1). From 0 to 100.", "ratio")
    income: Path = _path("Multiplier on every consumer's monthly income (household income "
                         "growth relative to the steady market): disposable income and "
                         "repayment capacity follow. From 0 to 100.", "ratio")
    demand: dict[str, Path] = param({}, "Multiplier on the need rate, by scenario name or by "
                                    "product kind (instalment, cash, revolving); a scenario's "
                                    "own name wins over its product. From 0 to 100. Points "
                                    f"[time, value], times increasing (0 to {MAX_TIME:,}); "
                                    "empty: neutral.",
                                    "ratio")
    online_shift: Path = _path("Added to every scenario's online share (a lockdown moves "
                               "needs online); the share stays in [0, 1]. From -1 to 1.",
                               "share")
    collections: Path = _path("Multiplier on every lender's daily cure rate of delinquent "
                              "loans (collections effectiveness; below 1: disrupted). From 0 "
                              "to 100.", "ratio")
    funding_rate_shift: Path = _path("Added to every lender's lenders.N.cost_of_funds_rate "
                                     "(the funding cost posted each day; the rate stays >= 0). "
                                     "From -0.2 to 0.2.", "rate/year")

    @field_validator("job_loss", "shock_income", "income", "collections")
    @classmethod
    def _multipliers(cls, points: Path) -> Path:
        return check_path(points, 0.0, MAX_MULTIPLIER)

    @field_validator("online_shift")
    @classmethod
    def _shift(cls, points: Path) -> Path:
        return check_path(points, -1.0, 1.0)

    @field_validator("funding_rate_shift")
    @classmethod
    def _rate(cls, points: Path) -> Path:
        return check_path(points, -0.2, 0.2)

    @field_validator("demand")
    @classmethod
    def _demand(cls, paths: dict[str, Path]) -> dict[str, Path]:
        for name, points in paths.items():
            try:
                check_path(points, 0.0, MAX_MULTIPLIER)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return paths

    def is_empty(self) -> bool:
        """Whether no driver has a point (the path is the steady market)."""
        return not any(getattr(self, name) for name in type(self).model_fields
                       if name != "time_unit")


class MacroConfig(Section):
    """The macroeconomic path of the run (through the cycle)."""

    scenario: str = param("steady", "The path: 'steady' (no macro change: today's market), "
                          "'adverse', 'severe', 'covid_2020' (shipped, sourced paths: "
                          "configs/calibration.md), 'custom' (the paths of macro.custom) or "
                          "'regimes' (recessions start at random, see "
                          "macro.expansion_days).")
    start_day: int = param(0, "Day of the run at which the path's time 0 falls; before it "
                           "every driver is neutral.", "day", ge=0, le=36_500)
    custom: MacroPaths = param(MacroPaths(), "User-written paths, used when macro.scenario "
                               "is 'custom'.")
    recession_path: Literal["adverse", "severe", "covid_2020"] = param(
        "adverse", "With scenario 'regimes': the shipped path each recession runs through, "
        "from its first day to its last point.")
    expansion_days: float = param(1825.0, "With scenario 'regimes': mean days of expansion "
                                  "between recessions (from macro.start_day, and after each "
                                  "recession's path ends); a recession starts on a day with "
                                  "probability 1 / expansion_days, drawn from the model's "
                                  "random generator.", "days", ge=1.0, le=36_500.0)

    @field_validator("scenario")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}{did_you_mean(name, SCENARIOS)}; "
                             f"one of {', '.join(SCENARIOS)}")
        return name

    @model_validator(mode="after")
    def _custom_used(self) -> MacroConfig:
        if self.scenario != "custom" and self.custom != MacroPaths():  # points or time_unit
            raise ValueError(f"custom: paths are only used with scenario 'custom', not "
                             f"{self.scenario!r}")
        if self.scenario != "regimes":
            for name in ("recession_path", "expansion_days"):
                if getattr(self, name) != type(self).model_fields[name].default:
                    raise ValueError(f"{name}: only used with scenario 'regimes', not "
                                     f"{self.scenario!r}")
        return self

    @property
    def steady(self) -> bool:
        """Whether the run's economy never changes (no driver moves)."""
        return self.paths().is_empty()

    def paths(self) -> MacroPaths:
        """The drivers' paths in force: the custom ones, a shipped path's, or (regimes)
        the path each recession runs.
        """
        if self.scenario == "custom":
            return self.custom
        if self.scenario == "regimes":
            return shipped_path(self.recession_path)
        return shipped_path(self.scenario)


@cache
def shipped_paths() -> dict[str, dict]:
    """The shipped paths' table (``simfin/config/macro_paths.yaml``): per path, its source
    and its drivers.
    """
    text = resources.files("simfin.config").joinpath("macro_paths.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@cache
def shipped_path(name: str) -> MacroPaths:
    """A shipped path's drivers, checked like a user's."""
    entry = dict(shipped_paths()[name])
    entry.pop("source", None)
    return MacroPaths.model_validate(entry)
