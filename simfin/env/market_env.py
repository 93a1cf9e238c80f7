"""``MarketEnv``: a PettingZoo ``ParallelEnv`` in which lenders are the agents.

Built, as PettingZoo environments are, by the module-level :func:`parallel_env`::

    from simfin.env import parallel_env

    env = parallel_env(config="configs/baseline.yaml", lenders=["platform", "cash"])
    observations, infos = env.reset(seed=1)
    while env.agents:
        actions = {agent: env.action_space(agent).sample() for agent in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)

Every agent is a lender (by name) with the action and observation spaces of
:class:`~simfin.env.lender_env.LenderEnv`; all act at once each decision interval.
Lenders not named in ``lenders`` keep the levers of their config (fixed rivals). An agent
whose equity is gone is terminated and leaves ``agents``; its lender stays in the market
with the levers it last set. At the run's end every agent is truncated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pettingzoo import ParallelEnv

from simfin.config import MarketConfig
from simfin.env.actions import action_space
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


class MarketEnv(ParallelEnv):
    """Lenders of a market as agents acting in parallel.

    Args:
        config: The market (a ``MarketConfig``, a YAML path, a dict, or None for the
            default market).
        lenders: The lenders that are agents, by name (None: every lender).
        interval_days, reward, risk_weight, inclusion_yuan, overrides: As in
            :class:`~simfin.env.lender_env.LenderEnv`.
        render_mode: Not supported (None).

    Raises:
        ConfigError: A bad config, override, lender name or interval, in one line.
    """

    metadata = {"name": "simfin_market_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, config: MarketConfig | str | Path | dict | None = None,
                 lenders: list[str] | None = None, interval_days: int = 7,
                 reward: str = "profit", risk_weight: float = 1.0,
                 inclusion_yuan: float = 50.0, overrides: dict[str, Any] | None = None,
                 render_mode: str | None = None) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode: simfin's environments do not render, got "
                             f"{render_mode!r}")
        self.config = market_config(config, overrides)
        self._index = {self.config.lenders[i].name: i
                       for i in lender_indices(self.config, lenders, "lenders")}
        self.possible_agents = list(self._index)
        self.agents: list[str] = []
        self.interval_days = check_interval(interval_days)
        self.reward_spec = Reward(reward, risk_weight, inclusion_yuan)
        warn_rules_only(self.config, list(self._index.values()))
        self.render_mode = None
        # One space object per agent, the same object on every call (PettingZoo's rule).
        self._action_spaces = {agent: action_space() for agent in self.possible_agents}
        self._observation_spaces = {agent: observation_space()
                                    for agent in self.possible_agents}
        self._seeds: np.random.Generator | None = None
        self.episode: Episode | None = None

    def observation_space(self, agent: str):
        """The agent's observation space (:mod:`simfin.env.observation`)."""
        return self._observation_spaces[agent]

    def action_space(self, agent: str):
        """The agent's action space (:mod:`simfin.env.actions`)."""
        return self._action_spaces[agent]

    @property
    def model(self):
        """The market of the episode in progress (None before the first reset)."""
        return None if self.episode is None else self.episode.model

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Start a run of the market; ``seed`` as in ``LenderEnv.reset``."""
        if seed is None and self._seeds is None:
            seed = self.config.run.seed
        if seed is not None:
            self._seeds = np.random.default_rng(seed)
            run_seed = int(seed)
        else:
            run_seed = int(self._seeds.integers(SEED_BOUND))
        self.episode = Episode(self.config, run_seed, self.interval_days, self.reward_spec)
        self.agents = list(self.possible_agents)
        observations = {a: self.episode.observation(i) for a, i in self._index.items()}
        infos = {a: {**self.episode.info(i), "seed": run_seed}
                 for a, i in self._index.items()}
        return observations, infos

    def step(self, actions: dict[str, np.ndarray]):
        """Set every live agent's levers, run one interval, and report per agent.

        Returns:
            ``(observations, rewards, terminations, truncations, infos)``, dicts by agent,
            for the agents live before the step.

        Raises:
            RuntimeError: Called before :meth:`reset` or after every agent is done.
            ValueError: An action for an agent that is not live, or a bad action.
        """
        episode = self.episode
        if episode is None or not self.agents:
            raise RuntimeError("call reset() before step(): no agent is live")
        stray = sorted(set(actions) - set(self.agents))
        if stray:
            raise ValueError(f"actions: {', '.join(stray)} not live (agents: "
                             f"{', '.join(self.agents)})")
        live = list(self.agents)
        for agent in live:
            if agent in actions:  # an agent without an action keeps its levers
                episode.act(self._index[agent], actions[agent])
        episode.advance()
        observations, rewards, terminations, truncations, infos = {}, {}, {}, {}, {}
        for agent in live:
            i = self._index[agent]
            observations[agent] = episode.observation(i)
            rewards[agent] = episode.reward(i)
            terminations[agent] = episode.terminated(i)
            truncations[agent] = episode.truncated
            infos[agent] = episode.info(i)
        self.agents = [a for a in live if not (terminations[a] or truncations[a])]
        return observations, rewards, terminations, truncations, infos


def parallel_env(config: MarketConfig | str | Path | dict | None = None,
                 lenders: list[str] | None = None, **kwargs: Any) -> MarketEnv:
    """The market as a PettingZoo ``ParallelEnv`` (see :class:`MarketEnv` for the
    arguments).
    """
    return MarketEnv(config=config, lenders=lenders, **kwargs)
