"""A lender's own channel: who its customers are, which needs it takes, what the owner knows,
how the config refuses a wrong one, and that a market's other draws stay as they were.
"""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.agents.observations import application_batch
from simfin.agents.owned_channels import OwnedChannels, draw_customers
from simfin.agents.population import Population
from simfin.config import ConfigError, PopulationConfig
from simfin.lending.product import PRODUCT_KINDS
from tests.conftest import TWO_LENDERS

N = 20_000
INSTALMENT, CASH = PRODUCT_KINDS.index("instalment"), PRODUCT_KINDS.index("cash")


def owned_config(**channel):
    """The suite's two-lender market with the rules-only lender's app as a fourth channel."""
    cfg = simfin.load_config(TWO_LENDERS, {"population.n_consumers": 3_000, "run.steps": 60,
                                           "run.seed": 5})
    data = cfg.model_dump()
    data["channels"].append({"name": "rules_app", "owner": "rules_only",
                             "cost_per_application_cents": 100, **channel})
    return simfin.load_config(data)


@pytest.fixture(scope="module")
def population():
    pop = Population(PopulationConfig(n_consumers=N, fraud_share=0.05),
                     np.random.default_rng(3))
    pop.attach_lenders(2)
    return pop


# -- who the customers are ---------------------------------------------------------------

def test_exactly_the_share_is_drawn_and_the_draw_follows_the_seed(population):
    first = draw_customers(population, 0.25, 0.5, 0.0, 1.0, np.random.default_rng(1))
    again = draw_customers(population, 0.25, 0.5, 0.0, 1.0, np.random.default_rng(1))
    other = draw_customers(population, 0.25, 0.5, 0.0, 1.0, np.random.default_rng(2))
    assert first.sum() == round(0.25 * N)
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()


def test_customers_earn_more_the_larger_the_income_elasticity(population):
    income = population.base_income_cents.astype(np.float64)
    means = [income[draw_customers(population, 0.25, e, 0.0, 1.0,
                                   np.random.default_rng(1))].mean() for e in (-1.0, 0.0, 1.0)]
    # precondition: incomes differ across the population
    assert income.std() > 0.3 * income.mean()
    assert means[0] < 0.9 * income.mean() < means[1] < 1.1 * income.mean() < means[2], means


def test_fraud_multiplier_and_risk_tilt_shape_the_customers(population):
    fraud = population.is_fraud
    assert fraud.sum() > 500  # precondition: fraudsters to keep out
    none = draw_customers(population, 0.25, 0.0, 0.0, 0.0, np.random.default_rng(1))
    assert not (none & fraud).any() and none.sum() == round(0.25 * N)
    willing = population.willingness
    careful = draw_customers(population, 0.25, 0.0, -1.0, 1.0, np.random.default_rng(1))
    risky = draw_customers(population, 0.25, 0.0, 1.0, 1.0, np.random.default_rng(1))
    assert willing[careful].mean() > willing.mean() > willing[risky].mean()


# -- which needs the channel takes --------------------------------------------------------

def test_only_customers_needs_of_its_kind_for_a_product_the_owner_sells(population):
    cfg = owned_config(first_look_share=1.0, customer_share=0.5)
    owned = OwnedChannels(cfg, population, np.random.default_rng(4))
    n = 4_000
    rng = np.random.default_rng(5)
    consumers = rng.integers(0, N, n)
    online = rng.random(n) < 0.7
    products = np.where(rng.random(n) < 0.5, INSTALMENT, CASH).astype(np.int8)
    amounts = np.full(n, 500_000)
    tried = np.zeros((n, 2), dtype=bool)
    tried[rng.random(n) < 0.2, 0] = True
    sells = np.ones((2, 3), dtype=bool)
    sells[0, CASH] = False  # the owner does not sell cash loans
    minimum = np.zeros((2, 3), dtype=np.int64)
    free = rng.random(n) < 0.9
    route = owned.route(consumers, online, products, amounts, tried, sells, minimum, free)
    customer = owned.customers[0][consumers]
    eligible = customer & online & (products == INSTALMENT) & ~tried[:, 0] & free
    assert eligible.sum() > 200  # precondition
    np.testing.assert_array_equal(route == 3, eligible)  # first look 1: all of them
    assert set(np.unique(route)) == {-1, 3}
    # a loan below the owner's smallest goes to the market
    minimum[0, INSTALMENT] = 600_000
    assert (owned.route(consumers, online, products, amounts, tried, sells, minimum,
                        free) == -1).all()


def test_first_look_share_is_the_probability_of_going_to_the_app(population):
    owned = OwnedChannels(owned_config(first_look_share=0.3, customer_share=1.0), population,
                          np.random.default_rng(4))
    n = 20_000
    route = owned.route(np.arange(n), np.ones(n, bool), np.full(n, INSTALMENT, np.int8),
                        np.full(n, 500_000), np.zeros((n, 2), bool), np.ones((2, 3), bool),
                        np.zeros((2, 3), np.int64), np.ones(n, bool))
    assert abs((route == 3).mean() - 0.3) < 0.015


def test_owner_states_its_customers_true_income(population):
    rows = np.arange(2_000)
    apps = {"consumer": rows, "online": np.ones(2_000, bool),
            "channel": np.zeros(2_000, np.int8)}
    known = np.arange(2_000) % 2 == 0
    batch = application_batch(population, apps, 0, 0, np.random.default_rng(1),
                              np.zeros(1, bool), np.zeros(2_000, np.int64),
                              income_known=known)
    true = population.income_cents(rows, 0)
    stated = batch["stated_income_cents"]
    np.testing.assert_array_equal(stated[known], true[known])
    assert (stated[~known] > true[~known]).mean() > 0.9  # applicants round their income up


# -- config --------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"owner": "nobody"}, "channels.3.owner", "no lender named 'nobody'"),
    ({"owner": "rules_onyl"}, "channels.3.owner", "did you mean 'rules_only'"),
    ({"owner": None, "customer_share": 0.3}, "channels.3.customer_share",
     "only a lender's own channel"),
    ({"reach": 2.0}, "channels.3.reach", "not a share of the market's traffic"),
])
def test_a_wrong_owned_channel_is_one_line_naming_the_field(change, field, reason):
    with pytest.raises(ConfigError) as error:
        owned_config(**change)
    message = str(error.value)
    assert message.startswith(f"{field}: ") and reason in message and "\n" not in message


def test_the_cli_refuses_an_unknown_owner_with_exit_2(tmp_path, simfin_exe):
    import subprocess

    out = tmp_path / "out"
    done = subprocess.run([*simfin_exe, "run", str(TWO_LENDERS), "--set",
                           "channels.0.owner=nobody", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("channels.0.owner: no lender named 'nobody' in the "
                                        "market"), done.stderr
    assert not out.exists()


# -- the rest of the market is left as it was ---------------------------------------------

def test_a_channel_that_takes_nothing_and_knows_nothing_leaves_the_run_unchanged():
    """The owned channel's draws come from a stream of their own: with no first look and no
    income read, the market books exactly the loans it booked without the channel."""
    base = simfin.load_config(TWO_LENDERS, {"population.n_consumers": 3_000,
                                            "run.steps": 60, "run.seed": 5})
    idle = owned_config(first_look_share=0.0, knows_income=False)
    loans = []
    for cfg in (base, idle):
        model = simfin.MarketModel(cfg)
        for _ in range(60):
            model.step()
        loans.append(model.book)
    assert len(loans[0]) > 200  # precondition: loans were made
    for column in ("consumer", "lender", "principal_cents", "channel", "status"):
        np.testing.assert_array_equal(loans[0].column(column), loans[1].column(column))


def test_two_owners_channels_take_a_need_in_config_order(population):
    cfg = owned_config(first_look_share=1.0, customer_share=1.0)
    data = cfg.model_dump()
    data["channels"].append({"name": "scored_app", "owner": "scored", "customer_share": 1.0,
                             "first_look_share": 1.0, "knows_income": False})
    n = 1_000
    args = (np.arange(n), np.ones(n, bool), np.full(n, INSTALMENT, np.int8),
            np.full(n, 500_000), np.zeros((n, 2), bool), np.ones((2, 3), bool),
            np.zeros((2, 3), np.int64), np.ones(n, bool))
    owned = OwnedChannels(simfin.load_config(data), population, np.random.default_rng(4))
    assert (owned.route(*args) == 3).all()
    np.testing.assert_array_equal(owned.owner_of(np.array([3, 4])), [0, 1])
    data["channels"][3]["first_look_share"] = 0.0
    owned = OwnedChannels(simfin.load_config(data), population, np.random.default_rng(4))
    assert (owned.route(*args) == 4).all()
    # the owner of the first reads its customers' income, the second's does not
    assert owned.income_known(np.arange(n), 0).all()
    assert owned.income_known(np.arange(n), 1) is None
