"""Outcome names of an experiment: which ones a run produces, day windows, money units.

An outcome is a summary indicator (``approval_rate``), a dotted path into a breakdown
(``by_channel.social.cac``), or a flow indicator over a window of days,
``approval_rate[180:365]``: days 180 to 364, computed from the run's daily rows
(``simfin.indicators.summary.flow_indicators``). The names a run produces are not a list kept here:
``produced`` runs each scenario's market for one day at a small size and reads its
summary, so an indicator added to the summary is an outcome at once (the summary's fields
follow from the config, not from what a day happened to bring).

Money outcomes (``simfin.indicators.summary.MONEY_INDICATORS``, and fields ending in ``_cents``) are
reported in yuan, as in single runs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simfin.config import ConfigError
from simfin.indicators.summary import MONEY_INDICATORS

_WINDOWED = re.compile(r"^(?P<indicator>[A-Za-z0-9_.]+)\[(?P<start>\d+):(?P<end>\d+)\]$")
PROBE_CONSUMERS = 200
"""Consumers of the one-day run that lists the outcomes a run produces."""
CENTS_PER_YUAN = 100


@dataclass(frozen=True)
class Outcome:
    """One outcome as the experiment names it.

    Attributes:
        name: As written (``approval_rate[180:365]``); the column of ``results.parquet``.
        indicator: The summary indicator or dotted path (``approval_rate``).
        window: ``(start, end)`` days, end excluded, or None for the whole run.
    """

    name: str
    indicator: str
    window: tuple[int, int] | None = None

    @property
    def money(self) -> bool:
        """True when the outcome is an amount of money (reported in yuan)."""
        leaf = self.indicator.rsplit(".", 1)[-1]
        return leaf in MONEY_INDICATORS or leaf.endswith("_cents")

    @property
    def unit(self) -> str | None:
        """``yuan`` for money, else None (counts, rates and shares carry no unit)."""
        return "yuan" if self.money else None

    @property
    def label(self) -> str:
        """The name with its unit, for table headers and axes: ``profit (yuan)``."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def slug(self) -> str:
        """A file-safe form of the name: ``approval_rate_d180-365``."""
        if self.window is None:
            return self.indicator
        return f"{self.indicator}_d{self.window[0]}-{self.window[1]}"


def parse(name: str) -> Outcome:
    """An outcome name, with or without a ``[start:end]`` window of days.

    Raises:
        ValueError: A window whose end is not after its start.
    """
    match = _WINDOWED.match(name)
    if match is None:
        return Outcome(name, name)
    start, end = int(match["start"]), int(match["end"])
    if end <= start:
        raise ValueError(f"{name}: the window's end ({end}) must be after its start ({start})")
    return Outcome(name, match["indicator"], (start, end))


def normalise(entry: Any) -> Any:
    """An ``outcomes:`` entry as its name: ``{outcome: x, window: [a, b]}`` -> ``x[a:b]``."""
    if not isinstance(entry, dict):
        return entry
    unknown = set(entry) - {"outcome", "window"}
    if unknown or "outcome" not in entry:
        raise ValueError(f"an outcome entry has keys outcome and window (optional), got "
                         f"{sorted(entry)}")
    window = entry.get("window")
    if window is None:
        return entry["outcome"]
    if not (isinstance(window, list) and len(window) == 2
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                    for d in window)):
        raise ValueError(f"{entry['outcome']}: window must be [start day, end day], two "
                         f"whole numbers from 0, got {window!r}")
    return f"{entry['outcome']}[{window[0]}:{window[1]}]"


@dataclass(frozen=True)
class Produced:
    """What a run of a market produces: summary fields, and the windowable ones."""

    summary: dict[str, Any]
    """A lender's and the market's summary fields merged (values show their shape)."""
    flows: frozenset[str]
    """Indicators computed from daily rows alone: the ones a window applies to."""


def produced(config: Path, overrides: dict[str, Any],
             scenarios: list[dict[str, Any]] | None = None) -> Produced:
    """The outcome names a run of this market produces, read from one-day runs.

    Args:
        config: The market config.
        overrides: The experiment's overrides (dotted paths).
        scenarios: Each scenario's overrides; an outcome is one that some scenario's runs
            produce (a scenario may add what the others lack, e.g. a challenger). None:
            the market with ``overrides`` alone.
    """
    import simfin
    from simfin.indicators.summary import flow_indicators

    fields: dict[str, Any] = {}
    flows: set[str] = set()
    for scenario in scenarios if scenarios is not None else [{}]:
        one_day = {**overrides, **scenario, "run.runoff_days": 0,
                   "run.record_applications": False}
        try:
            probe = simfin.run(config, steps=1, overrides={
                **one_day, "population.n_consumers": PROBE_CONSUMERS})
        except ConfigError:  # a market that needs more consumers: probe it at its own size
            probe = simfin.run(config, steps=1, overrides=one_day)
        for summary in (*probe.summary["lenders"].values(), probe.summary["market"]):
            fields.update(summary)
        flows |= set(flow_indicators(probe.steps, 1))
    return Produced(fields, frozenset(flows))


def check(outcome: Outcome, made: Produced) -> None:
    """Refuse an outcome that no run produces, with the closest name a run does produce.

    Only the first part of a dotted path is checked against the summary (the keys of
    breakdowns by grade, reason or flag depend on what happened in the run).

    Raises:
        ConfigError: ``outcomes: 'aprovals' is not an outcome a run produces; did you
            mean 'approvals'?``.
    """
    head, _, rest = outcome.indicator.partition(".")
    if head not in made.summary:
        close = difflib.get_close_matches(head, sorted(made.summary), n=1)
        hint = f"; did you mean {close[0] + ('.' + rest if rest else '')!r}?" if close \
            else " (the indicators are listed in README.md, Indicators)"
        raise ConfigError(f"outcomes: {outcome.name!r} is not an outcome a run produces"
                          + hint)
    if rest and not isinstance(made.summary[head], dict):
        raise ConfigError(f"outcomes: {outcome.name!r}: {head} is a number, not a "
                          "breakdown with fields")
    if outcome.window is not None and outcome.indicator not in made.flows:
        raise ConfigError(
            f"outcomes: {outcome.name!r}: {outcome.indicator} needs the loan table or the "
            "whole run; a window applies to the indicators computed from the daily rows "
            "(simfin.indicators.summary.flow_indicators: approval_rate, loans, profit, "
            "loss_rate, ...)")


def check_window(outcome: Outcome, days: int, scenario: str) -> None:
    """Refuse a window that is not inside the run's days (0 to ``days`` - 1).

    Raises:
        ConfigError: One line naming the outcome, the scenario and the run's days.
    """
    if outcome.window is not None and outcome.window[1] > days:
        raise ConfigError(f"outcomes: {outcome.name!r}: the window is not inside the run "
                          f"(scenario {scenario} runs {days} days, days 0 to {days - 1}; "
                          f"[start:end] covers days start to end - 1)")


def to_yuan(value: float | None) -> float | None:
    """Cents as yuan (None stays None)."""
    return None if value is None else value / CENTS_PER_YUAN
