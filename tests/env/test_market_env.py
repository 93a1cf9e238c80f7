"""The market as a PettingZoo ParallelEnv: the API, determinism, fixed rivals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from simfin.config import ConfigError
from simfin.env import parallel_env
from simfin.env.actions import config_action


def market(config, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rules-only lender's threshold warning
        return parallel_env(config=config, interval_days=10, **kwargs)


def test_parallel_api_test_passes(tiny_config):
    env = market(tiny_config)
    assert env.possible_agents == ["rules_only", "scored"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(env, num_cycles=100)
    assert [str(w.message) for w in caught] == []


def test_parallel_seed_test_passes(tiny_config):
    parallel_seed_test(lambda: market(tiny_config), num_cycles=100)


def test_every_agent_has_the_same_spaces_and_sees_its_own_book(tiny_config):
    env = market(tiny_config)
    observations, _ = env.reset(seed=3)
    a, b = env.possible_agents
    assert env.action_space(a) == env.action_space(b)
    assert env.observation_space(a) == env.observation_space(b)
    actions = {agent: config_action(env.config.lenders[i]) for i, agent in enumerate([a, b])}
    observations, rewards, _, _, infos = env.step(actions)
    assert infos[a]["profit_after_provisions_cents"] != infos[b]["profit_after_provisions_cents"]
    assert rewards[a] == infos[a]["profit_after_provisions_cents"] / 100
    assert rewards[b] == infos[b]["profit_after_provisions_cents"] / 100
    assert not np.array_equal(observations[a], observations[b])


def test_a_subset_of_lenders_are_agents_and_the_rest_keep_their_config(tiny_config):
    env = market(tiny_config, lenders=["scored"])
    env.reset(seed=2)
    assert env.agents == ["scored"]
    env.step({"scored": np.array([0.3, 0.1, 0.5])})
    rival, agent = env.model.lenders
    assert agent.levers() == {"approval_threshold": 0.3, "price_markup": 0.1,
                              "limit_multiplier": 0.5}
    assert rival.levers() == {"approval_threshold": None, "price_markup": 0.0,
                              "limit_multiplier": 1.0}
    with pytest.raises(ValueError, match="rules_only not live"):
        env.step({"rules_only": np.array([0.3, 0.1, 0.5])})


def test_an_agent_whose_capital_is_gone_leaves_and_the_others_play_on(tiny_config):
    env = market(tiny_config, overrides={"lenders.0.capital_cents": 100_000})
    env.reset(seed=2)
    done = {}
    while env.agents:
        live = list(env.agents)
        _, _, terminations, truncations, _ = env.step(
            {agent: np.array([0.15, 0.0, 1.0]) for agent in live})
        for agent in live:
            if terminations[agent] or truncations[agent]:
                done[agent] = (env.model.day, terminations[agent])
    assert done["rules_only"][1] and done["rules_only"][0] < tiny_config.run.steps
    assert done["scored"] == (tiny_config.run.steps, False)  # truncated at the run's end


def test_bad_lender_names_are_one_line_errors(tiny_config):
    with pytest.raises(ConfigError, match=r"^lenders: no lender named 'bank' \(lenders: "):
        market(tiny_config, lenders=["bank"])
    with pytest.raises(ConfigError, match="^lenders: a lender is named twice"):
        market(tiny_config, lenders=["scored", "scored"])
