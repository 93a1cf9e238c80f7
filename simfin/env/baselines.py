"""Baseline policies for a learning lender, and the cross-entropy method (numpy, no GPU).

- :class:`FixedPolicy`: always the same action, e.g. the lender's config
  (``env.config_action()``): the episode is then the plain run of the config.
- :class:`RandomPolicy`: uniform over the action bounds, from its own seeded generator.
- :class:`LinearPolicy`: ``action = low + (high - low) * sigmoid(W z + b)`` on the
  standardised observation ``z = (obs - center) / scale``.
- :func:`cross_entropy_method`: fits a linear policy by the cross-entropy method: each
  iteration draws a population of parameter vectors from a diagonal Gaussian, runs each on
  the same training seeds (common random numbers: candidates are compared on the same
  markets), and refits the Gaussian to the best (the elite).
- :func:`evaluate` and :func:`paired_interval`: episode returns on held-out seeds, and a
  paired confidence interval of the difference between two policies.

Everything random is drawn from generators seeded by the caller: the same seeds give the
same policy and the same returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from simfin.env.actions import HIGH, LOW

Policy = Callable[[np.ndarray], np.ndarray]


class FixedPolicy:
    """The same action at every step.

    Args:
        action: The action (e.g. ``env.config_action()``).
    """

    def __init__(self, action: np.ndarray) -> None:
        self.action = np.asarray(action, dtype=np.float64).copy()

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        """The fixed action, whatever the observation."""
        return self.action.copy()


class RandomPolicy:
    """Uniform random actions within the levers' bounds.

    Args:
        seed: Seed of the policy's own generator.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        """A uniform draw within the bounds."""
        return self.rng.uniform(LOW, HIGH)


def _logit(share: np.ndarray) -> np.ndarray:
    share = np.clip(share, 1e-4, 1.0 - 1e-4)
    return np.log(share / (1.0 - share))


class LinearPolicy:
    """A linear policy squashed into the action bounds.

    Args:
        params: ``W`` (n_actions x n_features) then ``b`` (n_actions), flattened.
        center, scale: The observation's standardisation (see :func:`observation_scale`).
    """

    def __init__(self, params: np.ndarray, center: np.ndarray, scale: np.ndarray) -> None:
        self.center = np.asarray(center, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        n_features, n_actions = len(self.center), len(LOW)
        params = np.asarray(params, dtype=np.float64)
        if params.shape != (self.n_params(n_features),):
            raise ValueError(f"params: expected {self.n_params(n_features)} values, got "
                             f"{params.shape}")
        self.weights = params[: n_actions * n_features].reshape(n_actions, n_features)
        self.bias = params[n_actions * n_features:]

    @staticmethod
    def n_params(n_features: int) -> int:
        """Parameters of a linear policy on ``n_features`` observation features."""
        return len(LOW) * (n_features + 1)

    @staticmethod
    def params_for(action: np.ndarray, n_features: int) -> np.ndarray:
        """The parameters of the policy that always takes ``action`` (weights 0)."""
        share = (np.asarray(action, dtype=np.float64) - LOW) / (HIGH - LOW)
        return np.concatenate([np.zeros(len(LOW) * n_features), _logit(share)])

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        """The action for an observation."""
        z = (np.asarray(observation, dtype=np.float64) - self.center) / self.scale
        return LOW + (HIGH - LOW) / (1.0 + np.exp(-(self.weights @ z + self.bias)))


def rollout(env, policy: Policy, seed: int) -> float:
    """One episode of ``policy`` on ``env`` from ``reset(seed=seed)``; its total reward."""
    observation, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        observation, reward, terminated, truncated, _ = env.step(policy(observation))
        total += float(reward)
        if terminated or truncated:
            return total


def observation_scale(env, policy: Policy, seeds: Sequence[int]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of the observations ``policy`` meets on ``seeds``. A feature that
    never moved gets an infinite spread: a linear policy gives it no weight (its
    standardised value is 0, whatever it later becomes).
    """
    seen = []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        seen.append(observation)
        while True:
            observation, _, terminated, truncated, _ = env.step(policy(observation))
            seen.append(observation)
            if terminated or truncated:
                break
    stack = np.array(seen)
    spread = stack.std(axis=0)
    return stack.mean(axis=0), np.where(spread > 0, spread, np.inf)


@dataclass
class CEMResult:
    """What :func:`cross_entropy_method` learned.

    Attributes:
        policy: The linear policy at the final mean of the search distribution.
        mean, std: The final search distribution over the parameters.
        history: One record per iteration: ``iteration``, ``seeds`` (its training
            seeds), ``mean_return`` (of the population), ``elite_return`` (mean of the
            elite), ``best_return``.
    """

    policy: LinearPolicy
    mean: np.ndarray
    std: np.ndarray
    history: list[dict[str, float]] = field(default_factory=list)


def cross_entropy_method(env, start_action: np.ndarray, train_seeds: Sequence[int], *,
                         iterations: int = 5, population: int = 8, elite_share: float = 0.25,
                         bias_std: float = 1.0, weight_std: float = 0.2,
                         noise_std: float = 0.05, seeds_per_iteration: int | None = None,
                         scale_seeds: Sequence[int] | None = None, seed: int = 0
                         ) -> CEMResult:
    """Fit a linear policy by the cross-entropy method.

    The search starts at the policy that always takes ``start_action`` (e.g. the lender's
    config) with spread ``bias_std`` on the biases (logit units) and ``weight_std`` on the
    weights; each iteration scores ``population`` candidates by their mean return over
    its training seeds (all of ``train_seeds``, or the next ``seeds_per_iteration`` of
    them in turn: every candidate of an iteration meets the same markets) and refits mean
    and spread to the best ``elite_share`` of them
    (``noise_std`` is added to the spread so that the search does not collapse early).

    Args:
        env: A :class:`~simfin.env.lender_env.LenderEnv` (or any env with its spaces).
        start_action: The action the search starts from.
        train_seeds: Market seeds every candidate is run on.
        iterations: Refits of the search distribution.
        population: Candidates drawn per iteration.
        elite_share: Share of the candidates the distribution is refitted to.
        bias_std: Starting spread of the biases (logit units).
        weight_std: Starting spread of the weights (per standardised feature).
        noise_std: Spread added at each refit.
        seeds_per_iteration: Training seeds per iteration, taken from ``train_seeds`` in
            turn (None: all of them, every iteration).
        scale_seeds: Seeds whose observations under ``start_action`` standardise the
            policy's inputs (default: ``train_seeds``).
        seed: Seed of the search's own generator.

    Returns:
        The fitted policy, the search distribution and the history of returns.
    """
    if iterations < 1 or population < 2 or not 0.0 < elite_share <= 1.0:
        raise ValueError("iterations >= 1, population >= 2 and 0 < elite_share <= 1 needed, "
                         f"got {iterations}, {population}, {elite_share}")
    rng = np.random.default_rng(seed)
    start = FixedPolicy(start_action)
    center, scale = observation_scale(env, start, list(scale_seeds or train_seeds))
    n_features = len(center)
    mean = LinearPolicy.params_for(start_action, n_features)
    n_weights = len(LOW) * n_features
    std = np.concatenate([np.full(n_weights, weight_std), np.full(len(LOW), bias_std)])
    n_elite = max(1, int(round(population * elite_share)))
    history = []
    train_seeds = list(train_seeds)
    k = len(train_seeds) if seeds_per_iteration is None else seeds_per_iteration
    for iteration in range(iterations):
        seeds = [train_seeds[(iteration * k + j) % len(train_seeds)] for j in range(k)]
        candidates = mean + std * rng.standard_normal((population, len(mean)))
        returns = np.array([np.mean([rollout(env, LinearPolicy(c, center, scale), s)
                                     for s in seeds]) for c in candidates])
        elite = candidates[np.argsort(-returns, kind="stable")[:n_elite]]
        mean = elite.mean(axis=0)
        std = elite.std(axis=0) + noise_std
        history.append({"iteration": iteration, "seeds": seeds,
                        "mean_return": float(returns.mean()),
                        "elite_return": float(np.sort(returns)[-n_elite:].mean()),
                        "best_return": float(returns.max())})
    return CEMResult(LinearPolicy(mean, center, scale), mean, std, history)


def evaluate(env, policies: dict[str, Callable[[int], Policy]], seeds: Sequence[int]
             ) -> dict[str, np.ndarray]:
    """Each policy's episode return on each seed (the same seeds for all: paired).

    Args:
        env: The environment.
        policies: By name, a function of the episode's seed that returns the policy to run
            (``lambda seed: RandomPolicy(seed)`` gives each episode its own, repeatable
            draws; ``lambda seed: fitted`` runs one policy on every seed).
        seeds: The market seeds (held out from training).

    Returns:
        By name, the returns in seed order (yuan).
    """
    return {name: np.array([rollout(env, make(seed), seed) for seed in seeds])
            for name, make in policies.items()}


def paired_interval(a: np.ndarray, b: np.ndarray, confidence: float = 0.95
                    ) -> tuple[float, float, float]:
    """Mean of ``a - b`` over paired seeds and its two-sided t interval.

    Returns:
        ``(mean, low, high)``.
    """
    from scipy import stats

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(diff) < 2:
        raise ValueError("a paired interval needs at least 2 seeds")
    half = stats.t.ppf(0.5 + confidence / 2.0, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(
        len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)
