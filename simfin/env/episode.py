"""One episode: a market run driven interval by interval, some lenders' levers set by agents.

Both environments (:mod:`simfin.env.lender_env`, :mod:`simfin.env.market_env`) are thin
shells around an :class:`Episode`: it builds the market from the config and the episode's
seed (every draw of the run flows from that seed, as in ``simfin run``), sets the
controlled lenders' levers from their actions, runs a decision interval, and hands back
each lender's observation, reward, termination and record. Lenders that no agent controls
keep the levers of their config.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from simfin.config import ConfigError, MarketConfig, load_config
from simfin.env.actions import apply_action
from simfin.env.interval import PROFIT_BEFORE_PROVISIONS, PROFIT_COLUMN, Interval, run_interval
from simfin.env.observation import observe
from simfin.env.rewards import Reward
from simfin.model import MarketModel

SEED_BOUND = 10**9 + 1  # seeds drawn for unseeded resets: run.seed is at most 1e9


def market_config(config: MarketConfig | str | Path | dict | None,
                  overrides: dict[str, Any] | None = None) -> MarketConfig:
    """The validated market config of an environment: a config, a YAML path, a dict or None
    (the default market), with ``overrides`` (dotted paths, as ``simfin run --set``).

    Raises:
        ConfigError: One line naming the field and the reason.
    """
    if isinstance(config, MarketConfig) and not overrides:
        return config
    return load_config(config, overrides or {})


def lender_indices(config: MarketConfig, names: str | list[str] | tuple[str, ...] | None,
                   field: str) -> list[int]:
    """The indices of the named lenders (None: every lender).

    Raises:
        ConfigError: A name that is no lender of the market, or a name given twice.
    """
    known = [lender.name for lender in config.lenders]
    if names is None:
        return list(range(len(known)))
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ConfigError(f"{field}: name at least one lender (lenders: {', '.join(known)})")
    for name in names:
        if name not in known:
            raise ConfigError(f"{field}: no lender named {name!r} (lenders: "
                              f"{', '.join(known)})")
    if len(set(names)) != len(names):
        raise ConfigError(f"{field}: a lender is named twice ({', '.join(names)})")
    return [known.index(name) for name in names]


def check_interval(interval_days: int) -> int:
    """The decision interval in days, or a ConfigError naming ``interval_days``."""
    if isinstance(interval_days, bool) or not isinstance(interval_days, int | np.integer) \
            or interval_days < 1:
        raise ConfigError(f"interval_days: must be a whole number of days >= 1, got "
                          f"{interval_days!r}")
    return int(interval_days)


def warn_rules_only(config: MarketConfig, lenders: list[int]) -> None:
    """Warn that a controlled rules-only lender has no score for its threshold to cut."""
    for i in lenders:
        lender = config.lenders[i]
        if lender.risk.model.kind == "none":
            warnings.warn(f"lender {lender.name!r} decides on rules only "
                          "(risk.model.kind: none): the approval_threshold lever has no "
                          "score to cut; its price and limit levers still act", stacklevel=3)


class Episode:
    """A market run, stepped one decision interval at a time.

    Args:
        config: The validated market config.
        seed: The run's seed (``run.seed``): the whole episode follows from it.
        interval_days: Days per decision interval.
        reward: How each lender's reward is computed.

    Attributes:
        model: The market.
        interval: What the last interval recorded (a blank one before the first step).
        profit_to_date_cents: Each lender's profit before provisions since day 0.
        profit_after_provisions_to_date_cents: Each lender's profit after provisions since
            day 0 (what its ``profit`` rewards add up to).
    """

    def __init__(self, config: MarketConfig, seed: int, interval_days: int,
                 reward: Reward) -> None:
        self.model = MarketModel(config, rng=int(seed))
        self.interval_days = interval_days
        self.reward_of = reward
        n = len(self.model.lenders)
        self.interval = run_interval(self.model, 0)
        self.profit_to_date_cents = np.zeros(n, dtype=np.int64)
        self.profit_after_provisions_to_date_cents = np.zeros(n, dtype=np.int64)
        self._dpd30_before = np.zeros(n, dtype=np.float64)

    def act(self, lender: int, action: np.ndarray) -> dict[str, float]:
        """Set a lender's levers for the next interval; returns them as set."""
        return apply_action(self.model.lenders[lender], action)

    def advance(self) -> Interval:
        """Run one decision interval (shorter at the run's end)."""
        self._dpd30_before = self.interval.ending["dpd30_balance"].copy()
        self.interval = run_interval(self.model, self.interval_days)
        self.profit_to_date_cents += self.interval.sums[PROFIT_BEFORE_PROVISIONS]
        self.profit_after_provisions_to_date_cents += self.interval.sums[PROFIT_COLUMN]
        return self.interval

    def observation(self, lender: int) -> np.ndarray:
        """What the lender knows at the end of the last interval."""
        return observe(self.model, self.interval, lender,
                       int(self.profit_to_date_cents[lender]))

    def reward(self, lender: int) -> float:
        """The lender's reward for the last interval, in yuan."""
        return self.reward_of(self.interval, lender, float(self._dpd30_before[lender]))

    def terminated(self, lender: int) -> bool:
        """Whether the lender's capital is gone (equity at or below zero)."""
        return bool(self.model.ledger.balance("equity")[lender] <= 0)

    @property
    def truncated(self) -> bool:
        """Whether the run has reached its last day (``run.steps + run.runoff_days``)."""
        return not self.model.running

    def info(self, lender: int) -> dict[str, Any]:
        """The researcher's record of the interval for one lender (not for the policy: it
        holds the simulation's truth too, e.g. ``fraud_loans``).

        Keys: ``day`` (days run), ``days`` (of the interval), ``profit_cents`` (the
        interval's profit before provisions, the recorder's ``profit``),
        ``profit_after_provisions_cents`` (after IFRS 9 provisions: the ``profit`` reward,
        in cents), ``profit_to_date_cents``, ``profit_after_provisions_to_date_cents``,
        ``levers`` (in force), ``model_in_use``, ``indicators`` (the lender's summed counts
        and flows and ending balances, cents, as in ``steps.parquet``) and ``market``
        (every lender's ``indicators``, by name).
        """
        model, interval = self.model, self.interval
        return {
            "day": model.day,
            "days": interval.days,
            "profit_cents": int(interval.sums[PROFIT_BEFORE_PROVISIONS][lender]),
            "profit_after_provisions_cents": int(interval.sums[PROFIT_COLUMN][lender]),
            "profit_to_date_cents": int(self.profit_to_date_cents[lender]),
            "profit_after_provisions_to_date_cents":
                int(self.profit_after_provisions_to_date_cents[lender]),
            "levers": model.lenders[lender].levers(),
            "model_in_use": bool(model.lenders[lender].model_in_use),
            "indicators": interval.indicators(lender),
            "market": {other.name: interval.indicators(other.index)
                       for other in model.lenders},
        }
