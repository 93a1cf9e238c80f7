"""The single-lender environment under Gymnasium's AsyncVectorEnv (two processes)."""

from __future__ import annotations

import warnings
from functools import partial

import gymnasium
import numpy as np
import pytest

import simfin.env  # noqa: F401  (registers simfin/Lender-v0)
from simfin.env import ENV_ID, LenderEnv


def make(config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gymnasium.make(ENV_ID, config=config, lender="scored", interval_days=10)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_async_vector_env_runs_each_seed_as_a_single_env_does(tiny_config):
    # Gymnasium's default start method (fork on Linux): a fresh interpreter per worker
    # (spawn, forkserver) costs seconds of imports.
    vector = gymnasium.vector.AsyncVectorEnv([partial(make, tiny_config)] * 2)
    try:
        observations, infos = vector.reset(seed=[1, 2])
        actions = np.array([[0.1, 0.05, 1.0], [0.2, -0.05, 0.5]])
        rewards = []
        for _ in range(2):
            observations, reward, terminated, truncated, infos = vector.step(actions)
            rewards.append(reward)
    finally:
        vector.close()
    assert observations.shape == (2, len(simfin.env.FEATURE_NAMES))
    for k, seed in enumerate([1, 2]):
        single = LenderEnv(tiny_config, lender="scored", interval_days=10)
        single.reset(seed=seed)
        for step in range(2):
            obs, reward, *_ = single.step(actions[k])
            assert reward == rewards[step][k]
        assert np.array_equal(obs, observations[k])
    assert rewards[1][0] != rewards[1][1]
