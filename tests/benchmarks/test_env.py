"""The learning-lender environment's speed: decision steps per second, and what the
environment adds to the market it drives (README, Learning lenders).
"""

from __future__ import annotations

import time
import warnings

import pytest

from simfin.env import LenderEnv
from simfin.model import MarketModel
from tests.benchmarks.test_market import record

INTERVAL_DAYS = 7


def plain_run(config) -> tuple[float, int]:
    """CPU seconds of the config's run stepped as a plain model, and its loans."""
    start = time.process_time()
    model = MarketModel(config, rng=1)
    while model.running:
        model.step()
    return time.process_time() - start, len(model.book)


def env_run(env: LenderEnv) -> tuple[float, int, int]:
    """CPU seconds of one episode repeating the config's levers, its steps and loans."""
    start = time.process_time()
    env.reset(seed=1)
    steps = 0
    while True:
        *_, terminated, truncated, _ = env.step(env.config_action())
        steps += 1
        if terminated or truncated:
            return time.process_time() - start, steps, len(env.model.book)


def env_episode(n_consumers: int, days: int) -> dict:
    """The platform of the default market, deciding every week on its config's levers,
    beside the same run stepped as a plain model. Each runs twice, the second time timed
    (the first pays the first use: imports, the first model fit); the times are CPU
    seconds of this process, which a loaded machine stretches less than wall time.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = LenderEnv(None, lender="platform", interval_days=INTERVAL_DAYS,
                        overrides={"population.n_consumers": n_consumers, "run.steps": days})
    plain_run(env.config)
    env_run(env)
    plain_s, plain_loans = plain_run(env.config)
    env_s, steps, loans = env_run(env)
    return {"steps": steps, "env_s": env_s, "plain_s": plain_s, "loans": loans,
            "plain_loans": plain_loans}


@pytest.mark.benchmark(group="environment")
def test_lender_env_steps_per_second(benchmark, size):
    """Weekly decisions of one lender on the default market: 10,000 consumers for a year
    (small and large; tiny: 1,000 consumers for its few days).
    """
    n = size.market[0]
    run = benchmark.pedantic(env_episode, args=(n, size.market_days), rounds=1, iterations=1)
    assert run["loans"] == run["plain_loans"] > 0  # the environment adds no behaviour
    record(benchmark, consumers=n, days=size.market_days, interval_days=INTERVAL_DAYS,
           env_steps_per_s=run["steps"] / run["env_s"],
           market_days_per_s=size.market_days / run["env_s"],
           overhead=run["env_s"] / run["plain_s"] - 1.0)
