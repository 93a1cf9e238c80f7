"""The single-lender Gymnasium environment: the API, determinism, no behaviour of its own."""

from __future__ import annotations

import warnings
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simfin
from simfin.config import ConfigError
from simfin.env import ENV_ID, FEATURE_NAMES, LenderEnv
from simfin.env.actions import describe_actions
from simfin.env.baselines import FixedPolicy, RandomPolicy
from simfin.env.observation import describe_observation

# The one warning check_env may give: simfin's actions are in the levers' own units, not
# normalised to [-1, 1] (a documented choice: the action is the lever's value).
UNITS_WARNING = "For Box action spaces, we recommend using a symmetric and normalized space"


def lender_env(config, lender="scored", **kwargs) -> LenderEnv:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rules-only warning, tested on its own
        return LenderEnv(config, lender=lender, interval_days=10, **kwargs)


def episode(env: LenderEnv, policy, seed: int) -> list[tuple]:
    """Every step's (observation, reward, terminated, truncated, info) of one episode."""
    observation, info = env.reset(seed=seed)
    steps = [(observation, 0.0, False, False, info)]
    while True:
        steps.append(env.step(policy(steps[-1][0])))
        if steps[-1][2] or steps[-1][3]:
            return steps


def test_check_env_passes(tiny_config):
    env = gymnasium.make(ENV_ID, config=tiny_config, lender="scored", interval_days=10)
    assert isinstance(env.unwrapped, LenderEnv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    others = [str(w.message) for w in caught if UNITS_WARNING not in str(w.message)]
    assert others == []


def test_make_passes_config_lender_and_overrides(tiny_config):
    env = gymnasium.make(ENV_ID, config=tiny_config, lender="scored", interval_days=15,
                         overrides={"run.steps": 20})
    env.reset(seed=3)
    steps = 0
    while True:
        _, _, terminated, truncated, info = env.step(env.unwrapped.config_action())
        steps += 1
        if terminated or truncated:
            break
    assert env.unwrapped.lender_name == "scored"
    assert (steps, info["day"]) == (2, 20)  # 15 days, then the last 5 (truncated)


def test_same_seed_and_actions_give_the_same_episode_bit_for_bit(tiny_config):
    env_a, env_b = lender_env(tiny_config), lender_env(tiny_config)
    a = episode(env_a, RandomPolicy(seed=11), seed=4)
    b = episode(env_b, RandomPolicy(seed=11), seed=4)
    assert env_a.model.book.frame().shape[0] > 0  # precondition: loans were made
    assert len(a) == len(b)
    for (obs_a, rew_a, term_a, trunc_a, info_a), (obs_b, rew_b, term_b, trunc_b, info_b) \
            in zip(a, b, strict=True):
        assert np.array_equal(obs_a, obs_b)
        assert rew_a == rew_b and term_a == term_b and trunc_a == trunc_b
        assert info_a == info_b
    c = episode(env_a, RandomPolicy(seed=11), seed=5)  # another market seed differs
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c, strict=True))


def test_the_config_action_is_the_plain_run_and_the_rewards_its_profit(tiny_config):
    # The environment adds no behaviour: repeating the config's levers books the same
    # loans as simfin.run, and the rewards add up to the lender's profit after provisions
    # as the recorder records it; the profit before provisions stays in info and the
    # observation.
    env = lender_env(tiny_config)
    steps = episode(env, FixedPolicy(env.config_action()), seed=9)
    plain = simfin.run(tiny_config.model_copy(update={
        "run": tiny_config.run.model_copy(update={"seed": 9})}))
    loans_env = env.model.book.frame()
    assert len(loans_env) > 0  # precondition: loans were made
    columns = ["lender", "consumer", "origination_day", "principal_cents", "apr", "pd"]
    assert loans_env[columns].equals(plain.model.book.frame()[columns])
    i = env.lender_index
    mine = plain.steps[plain.steps["lender"] == "scored"]
    after_cents = int(mine["profit_after_provisions"].sum())
    before_cents = int(mine["profit"].sum())
    equity = int(env.model.ledger.balance("equity")[i])
    allowance = int(env.model.ledger.balance("allowance")[i])
    capital = tiny_config.lenders[i].capital_cents
    assert allowance > 0 and after_cents != before_cents  # precondition: provisions count
    # The rewards: profit after provisions, the change in equity
    assert sum(s[4]["profit_after_provisions_cents"] for s in steps[1:]) == after_cents
    assert steps[-1][4]["profit_after_provisions_to_date_cents"] == after_cents
    assert equity - capital == after_cents
    assert sum(s[1] for s in steps) == pytest.approx(after_cents / 100, abs=1e-6)
    # profit (before provisions) is the change in equity with the IFRS 9 allowance added back
    assert sum(s[4]["profit_cents"] for s in steps[1:]) == before_cents
    assert steps[-1][4]["profit_to_date_cents"] == before_cents
    assert equity + allowance - capital == before_cents
    # The observation: profit before provisions, and equity (capital + profit after them)
    feature = {name: k for k, name in enumerate(FEATURE_NAMES)}
    for observation, _, _, _, info in steps[1:]:
        assert observation[feature["profit_yuan"]] == info["profit_cents"] / 100
    assert steps[-1][0][feature["profit_to_date_yuan"]] == before_cents / 100
    assert steps[-1][0][feature["equity_yuan"]] == (capital + after_cents) / 100


def test_unseeded_resets_follow_the_last_seed(tiny_config):
    env = lender_env(tiny_config)
    assert env.reset()[1]["seed"] == tiny_config.run.seed  # never seeded: the config's run
    env.reset(seed=21)
    first = env.reset()[1]["seed"]
    env.reset(seed=21)
    assert env.reset()[1]["seed"] == first


def test_truncated_at_the_runs_end_with_runoff(tiny_config):
    env = lender_env(tiny_config, overrides={"run.runoff_days": 15})
    steps = episode(env, FixedPolicy(env.config_action()), seed=2)
    assert [s[3] for s in steps[1:]] == [False] * 4 + [True]  # 45 days: 10, 10, 10, 10, 5
    assert steps[-1][4]["day"] == 45 and not steps[-1][2]
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.config_action())


def test_terminated_when_the_lenders_capital_is_gone(tiny_config):
    env = lender_env(tiny_config, overrides={"lenders.1.capital_cents": 100_000})
    steps = episode(env, FixedPolicy(env.config_action()), seed=2)
    assert steps[-1][2] and not steps[-1][3]  # terminated before the run's end
    assert steps[-1][4]["indicators"]["equity"] <= 0 < steps[-2][4]["indicators"]["equity"]


def test_observation_is_documented_and_holds_no_hidden_truth(live_config):
    env = lender_env(live_config)
    env.reset(seed=1)
    episode_ = env.episode
    while not episode_.interval.sums["fraud_loans"].any() and not episode_.truncated:
        env.step(env.config_action())
    model, i = env.model, env.lender_index
    assert env.observation_space.shape == (len(FEATURE_NAMES),)
    forbidden = ("fraud", "willing", "truth", "is_")
    assert not [n for n in FEATURE_NAMES if any(word in n for word in forbidden)]
    assert int(episode_.interval.sums["fraud_loans"].sum()) > 0  # precondition: fraud booked
    before = episode_.observation(i)
    # Scramble every hidden truth the market holds: the observation cannot change.
    pop = model.population
    pop.willingness[:] = np.float32(0.01)
    pop.is_fraud[:] = ~pop.is_fraud
    model.book.column("is_fraud")[:] = True
    for column in ("fraud_loans", "fraud_loss"):
        episode_.interval.sums[column][:] = 10**6
    assert np.array_equal(episode_.observation(i), before)
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert describe_observation() in text and describe_actions() in text  # README tables


def test_a_strict_threshold_approves_fewer_once_the_model_decides(live_config):
    results = {}
    for threshold in (0.01, 0.6):
        env = lender_env(live_config)
        action = np.array([threshold, 0.0, 1.0])
        steps = episode(env, FixedPolicy(action), seed=1)
        live = [s[4] for s in steps[1:] if s[4]["model_in_use"]]
        assert live, "precondition: the model went live"
        results[threshold] = {
            "before": [s[4]["indicators"]["approvals"] for s in steps[1:]
                       if not s[4]["model_in_use"]],
            "approvals": sum(s["indicators"]["approvals"] for s in live),
            "decided": sum(s["indicators"]["approvals"] + s["indicators"]["declined"]
                           for s in live)}
        assert env.model.lenders[1].levers()["approval_threshold"] == threshold
    strict, loose = results[0.01], results[0.6]
    assert strict["before"] == loose["before"]  # no score yet: the threshold cuts nothing
    assert strict["approvals"] < 0.8 * loose["approvals"]
    assert strict["approvals"] / strict["decided"] < loose["approvals"] / loose["decided"]


def test_markup_raises_prices_and_the_limit_multiplier_cuts_amounts(tiny_config):
    # Largest loans of 10,000 yuan: a quarter of it (2,500) is below many tickets.
    config = simfin.load_config(tiny_config, {
        f"lenders.1.products.{k}.max_amount_cents": 1_000_000 for k in (0, 1)})
    outcomes = {}
    for name, action in {"config": [0.15, 0.0, 1.0], "markup": [0.15, 0.1, 1.0],
                         "limits": [0.15, 0.0, 0.25]}.items():
        env = lender_env(config)
        episode(env, FixedPolicy(np.array(action)), seed=6)
        loans = env.model.book.frame()
        mine = loans[loans["lender"] == env.lender_index]
        assert len(mine) > 20  # precondition: loans were made
        cut = 0.25 * 1_000_000
        outcomes[name] = (mine["apr"].mean(), mine["principal_cents"].mean(),
                          (mine["principal_cents"] > cut).sum())
    cap = tiny_config.policy.apr_cap
    assert outcomes["markup"][0] > outcomes["config"][0] + 0.03
    assert outcomes["markup"][0] <= cap + 1e-6
    assert outcomes["config"][2] > 0  # precondition: loans above a quarter of the limit
    assert outcomes["limits"][2] == 0
    assert outcomes["limits"][1] < outcomes["config"][1]


def test_bad_arguments_are_one_line_errors(tiny_config):
    cases = [({"lender": "nobody"}, ConfigError, "lender: no lender named 'nobody'"),
             ({"interval_days": 0}, ConfigError, "interval_days: must be"),
             ({"reward": "fame"}, ValueError, "reward: unknown reward 'fame'"),
             ({"overrides": {"run.steps": -1}}, ConfigError, "run.steps:")]
    for kwargs, error, start in cases:
        with pytest.raises(error) as caught:
            LenderEnv(tiny_config, **{"lender": "scored", **kwargs})
        assert str(caught.value).startswith(start) and "\n" not in str(caught.value)
    env = lender_env(tiny_config)
    env.reset(seed=1)
    with pytest.raises(ValueError, match="price_markup must be a finite number"):
        env.step(np.array([0.1, np.nan, 1.0]))
    with pytest.raises(ValueError, match="expected 3 values"):
        env.step(np.array([0.1, 0.0]))


def test_a_rules_only_lender_is_warned_that_the_threshold_cuts_nothing(tiny_config):
    with pytest.warns(UserWarning, match="'rules_only' decides on rules only"):
        LenderEnv(tiny_config, lender="rules_only")


def test_the_levers_are_set_through_the_lenders_methods(tiny_config):
    env = lender_env(tiny_config)
    env.reset(seed=1)
    env.step(np.array([0.3, 0.05, 5.0]))  # the multiplier is clipped to its bound
    lender = env.model.lenders[env.lender_index]
    assert lender.levers() == {"approval_threshold": 0.3, "price_markup": 0.05,
                               "limit_multiplier": 2.0}
    assert lender.pipeline["scoring"].approval_threshold == 0.3
    with pytest.raises(ValueError, match="limit_multiplier"):
        lender.set_levers(limit_multiplier=0.0)
    with pytest.raises(ValueError, match="approval_threshold"):
        lender.set_levers(approval_threshold=1.5)


def test_the_reward_variants_add_up_to_their_documented_totals(tiny_config):
    # Over an episode: risk_adjusted = profit - risk_weight x the 30+ DPD balance left at
    # the end; inclusion = profit + inclusion_yuan x loans booked (profit after provisions).
    # (write-offs at 90 days past due: a 30+ DPD balance is still on book at the end)
    config = simfin.load_config(tiny_config, {"run.steps": 90, "run.default_dpd": 30,
                                              "run.writeoff_dpd": 90})
    totals = {}
    for reward in ("profit", "risk_adjusted", "inclusion"):
        env = lender_env(config, reward=reward, risk_weight=0.5, inclusion_yuan=20.0)
        steps = episode(env, FixedPolicy(env.config_action()), seed=3)
        totals[reward] = sum(s[1] for s in steps)
    end = steps[-1][4]["indicators"]
    loans = sum(s[4]["indicators"]["loans"] for s in steps[1:])
    assert end["dpd30_balance"] > 0 and loans > 0  # precondition: both terms count
    assert totals["risk_adjusted"] == pytest.approx(
        totals["profit"] - 0.5 * end["dpd30_balance"] / 100, abs=1e-6)
    assert totals["inclusion"] == pytest.approx(totals["profit"] + 20.0 * loans, abs=1e-6)
