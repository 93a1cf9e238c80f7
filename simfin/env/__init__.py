"""Learning lenders: Gymnasium and PettingZoo environments on a simfin market.

- :class:`LenderEnv` (registered as ``simfin/Lender-v0``): the agent is one lender; one
  step is a decision interval; the action sets its approval threshold, price markup and
  credit-limit multiplier (:mod:`simfin.env.actions`); the observation is what a lender
  could know (:mod:`simfin.env.observation`); the reward its profit over the interval
  after IFRS 9 provisions (:mod:`simfin.env.rewards`).
- :func:`parallel_env`: a PettingZoo ``ParallelEnv`` in which every lender (or a chosen
  subset) is an agent with the same spaces (:mod:`simfin.env.market_env`).
- :mod:`simfin.env.baselines`: the fixed-config policy, a random policy, and the
  cross-entropy method on a linear policy (numpy, no GPU).

Needs the ``rl`` extra: ``pip install simfin[rl]`` (Gymnasium and PettingZoo).
"""

from __future__ import annotations

try:
    import gymnasium
    import pettingzoo  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(f"simfin.env needs Gymnasium and PettingZoo ({exc.name} is missing): "
                      "pip install 'simfin[rl]'") from exc

from simfin.env.actions import LEVER_NAMES, LEVERS, config_action
from simfin.env.lender_env import LenderEnv
from simfin.env.market_env import MarketEnv, parallel_env
from simfin.env.observation import FEATURE_NAMES, FEATURES
from simfin.env.rewards import REWARDS

ENV_ID = "simfin/Lender-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="simfin.env.lender_env:LenderEnv")

__all__ = ["ENV_ID", "FEATURES", "FEATURE_NAMES", "LEVERS", "LEVER_NAMES", "REWARDS",
           "LenderEnv", "MarketEnv", "config_action", "parallel_env"]
