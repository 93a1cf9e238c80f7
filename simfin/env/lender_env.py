"""``LenderEnv``: a Gymnasium environment in which the agent is one lender of a market.

Registered as ``simfin/Lender-v0`` when :mod:`simfin.env` is imported::

    import gymnasium
    import simfin.env  # registers simfin/Lender-v0

    env = gymnasium.make("simfin/Lender-v0", config="configs/baseline.yaml",
                         lender="platform", interval_days=7)

One step is one decision interval: the action (:mod:`simfin.env.actions`) sets the lender's
approval threshold, price markup and credit-limit multiplier, the market runs
``interval_days`` days, and the agent sees what a lender could know
(:mod:`simfin.env.observation`) and is paid its profit over the interval in yuan, after
provisions (:mod:`simfin.env.rewards`). ``reset(seed=s)`` starts the run of the config
with ``run.seed = s``: the same seed and actions give the same episode, bit for bit. The
episode is truncated on the run's last day and terminated when the lender's equity is
gone; the other lenders keep the levers of their config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from simfin.config import MarketConfig
from simfin.env.actions import action_space, config_action
from simfin.env.episode import (
    SEED_BOUND,
    Episode,
    check_interval,
    lender_indices,
    market_config,
    warn_rules_only,
)
from simfin.env.observation import observation_space
from simfin.env.rewards import Reward


class LenderEnv(gymnasium.Env):
    """One lender of a market, driven by the agent.

    Args:
        config: The market: a ``MarketConfig``, a YAML path, a dict, or None for the default
            market (``configs/baseline.yaml``).
        lender: The lender the agent controls, by name (None: the first).
        interval_days: Days per step (the decision interval).
        reward: ``profit`` (default), ``risk_adjusted`` or ``inclusion``
            (:mod:`simfin.env.rewards`).
        risk_weight: ``risk_adjusted``: yuan counted per yuan of growth of the 30+ DPD
            balance.
        inclusion_yuan: ``inclusion``: yuan added per loan booked.
        overrides: Config overrides by dotted path, as ``simfin run --set``
            (``{"population.n_consumers": 5000}``).
        render_mode: Not supported (None): the run's figures come from ``simfin run``.

    Raises:
        ConfigError: A bad config, override, lender name or interval, in one line.

    Attributes:
        config: The market's validated config.
        lender_index: The controlled lender's position in ``config.lenders``.
        episode: The episode in progress (None before the first reset).
    """

    metadata = {"render_modes": []}

    def __init__(self, config: MarketConfig | str | Path | dict | None = None,
                 lender: str | None = None, interval_days: int = 7, reward: str = "profit",
                 risk_weight: float = 1.0, inclusion_yuan: float = 50.0,
                 overrides: dict[str, Any] | None = None,
                 render_mode: str | None = None) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode: simfin's environments do not render, got "
                             f"{render_mode!r}")
        self.config = market_config(config, overrides)
        names = None if lender is None else [lender]
        self.lender_index = lender_indices(self.config, names, "lender")[0]
        self.lender_name = self.config.lenders[self.lender_index].name
        self.interval_days = check_interval(interval_days)
        self.reward_spec = Reward(reward, risk_weight, inclusion_yuan)
        warn_rules_only(self.config, [self.lender_index])
        self.action_space = action_space()
        self.observation_space = observation_space()
        self.render_mode = None
        self.episode: Episode | None = None

    @property
    def model(self):
        """The market of the episode in progress (``simfin.model.MarketModel``)."""
        return None if self.episode is None else self.episode.model

    def config_action(self) -> np.ndarray:
        """The action that keeps the lender's config (the fixed-config baseline)."""
        return config_action(self.config.lenders[self.lender_index])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a run of the market.

        Args:
            seed: The run's seed (``run.seed``). None: a seed drawn from the
                environment's generator, itself seeded by the last seed given (the
                config's ``run.seed`` if none was), so ``reset(seed=s)`` then ``reset()``
                repeats too.
            options: Not used.

        Returns:
            The observation before any decision, and the record (``info``).
        """
        if seed is None and self._np_random is None:
            seed = self.config.run.seed  # never seeded: the config's run, as simfin run
        super().reset(seed=seed)
        run_seed = int(seed) if seed is not None else int(self.np_random.integers(SEED_BOUND))
        self.episode = Episode(self.config, run_seed, self.interval_days, self.reward_spec)
        i = self.lender_index
        info = self.episode.info(i)
        info["seed"] = run_seed
        return self.episode.observation(i), info

    def step(self, action: np.ndarray
             ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Set the levers, run one interval, and report.

        Returns:
            ``(observation, reward, terminated, truncated, info)``: reward in yuan;
            terminated when the lender's equity is gone, truncated at the run's end.

        Raises:
            RuntimeError: Called before :meth:`reset` or after the episode ended.
            ValueError: An action of the wrong shape or with a NaN.
        """
        episode, i = self.episode, self.lender_index
        if episode is None:
            raise RuntimeError("call reset() before step()")
        if episode.truncated or episode.terminated(i):
            raise RuntimeError("the episode has ended: call reset()")
        episode.act(i, action)
        episode.advance()
        return (episode.observation(i), episode.reward(i), episode.terminated(i),
                episode.truncated, episode.info(i))
