"""Revolving credit lines: a limit at the first draw, draws within the unused limit,
reviews that raise clean lines and freeze delinquent ones."""

import numpy as np
import pytest

import simfin
from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext
from simfin.lending.product import REVOLVING, ProductStage
from tests.conftest import TWO_LENDERS

LIMITS = np.zeros((3, 6))
LIMITS[REVOLVING] = (10_000, 2_000_000, 30, 360, 0.0, 2.0)  # min, max, terms, fee, x income

CTX = DecisionContext(day=0, rng=np.random.default_rng(0))


def line_batch(limit, used, amount, income=500_000, consumer=None) -> ApplicationBatch:
    n = len(limit)
    return ApplicationBatch({
        "consumer": np.arange(n) if consumer is None else np.asarray(consumer),
        "product": np.full(n, REVOLVING, dtype=np.int8),
        "amount_cents": np.asarray(amount, dtype=np.int64),
        "term_days": np.full(n, 90), "stated_income_cents": np.full(n, income),
        "line_limit_cents": np.asarray(limit, dtype=np.int64),
        "line_used_cents": np.asarray(used, dtype=np.int64)})


def test_a_new_line_gets_months_of_income_capped_at_the_product_maximum():
    batch = ProductStage(LIMITS, amount_reason=0).run(
        line_batch([0, 0], [0, 0], [50_000, 5_000_000], income=500_000), CTX)
    assert batch["line_limit_cents"].tolist() == [1_000_000, 1_000_000]
    assert batch["amount_cents"].tolist() == [50_000, 1_000_000]


def test_a_draw_is_capped_at_the_unused_limit_and_declined_below_the_minimum():
    batch = ProductStage(LIMITS, amount_reason=7).run(
        line_batch([300_000, 300_000], [100_000, 295_000], [500_000, 50_000]), CTX)
    assert batch["amount_cents"][0] == 200_000
    assert batch["reason"].tolist() == [-1, 7]


def test_draws_on_one_line_in_one_day_share_its_unused_limit():
    # consumer 7 draws three times today on a line with 150,000 unused
    batch = ProductStage(LIMITS, amount_reason=7).run(
        line_batch([300_000] * 4, [150_000] * 4, [100_000, 40_000, 80_000, 90_000],
                   consumer=[7, 9, 7, 7]), CTX)
    assert batch["amount_cents"].tolist() == [100_000, 40_000, 50_000, 0]
    assert batch["reason"].tolist() == [-1, -1, -1, 7]  # nothing left for the last draw


@pytest.fixture(scope="module")
def line_market():
    overrides = {
        "population.n_consumers": 4000, "run.steps": 200, "run.seed": 5,
        "scenarios": [{"name": "daily_spend", "product": "revolving", "need_rate": 8.0,
                       "ticket_median_cents": 40_000, "term_days": [30, 90]}],
        "lenders": [{"name": "line", "products": [{"kind": "revolving",
                                                   "max_amount_cents": 3_000_000,
                                                   "limit_review_days": 60,
                                                   "limit_increase_rate": 0.5}]}],
    }
    model = simfin.MarketModel(simfin.load_config(TWO_LENDERS, overrides))
    limits = []
    for day in range(200):
        model.step()
        if day in (58, 60):  # after days 58 and 60: the first review runs on day 60
            limits.append(model.population.line_limit_cents[:, 0].copy())
    return model, limits


def test_outstanding_draws_never_exceed_the_line(line_market):
    model, _ = line_market
    book = model.book
    active = book.active_rows()
    consumers = book.column("consumer")[active]
    used = np.bincount(consumers, weights=book.column("outstanding_cents")[active],
                       minlength=model.population.n)
    limit = model.population.line_limit_cents[:, 0]
    has_line = limit > 1
    assert has_line.sum() > 100
    assert (used[has_line] <= limit[has_line] + 1).all()


def test_reviews_raise_clean_lines_and_freeze_delinquent_ones(line_market):
    model, (before, after) = line_market
    had = before > 0
    raised = after[had] > before[had]
    frozen = after[had] < before[had]
    assert raised.sum() > 0 and frozen.sum() > 0
    # raised lines grew by the configured 50 % (capped at the product maximum)
    expected = np.minimum(np.round(before[had][raised] * 1.5), 3_000_000)
    assert np.array_equal(after[had][raised], expected)


def test_the_limit_multiplier_scales_a_new_line_and_the_largest_draw_not_an_open_line():
    stage = ProductStage(LIMITS, amount_reason=0)
    stage.set_limit_multiplier(0.5)
    # a new line: half of min(2 months of income, the maximum); an open line keeps its
    # limit; an ask above the largest loan is cut to half of it
    batch = stage.run(line_batch([0, 0, 3_000_000], [0, 0, 0],
                                 [50_000, 5_000_000, 2_500_000], income=2_000_000), CTX)
    assert batch["line_limit_cents"].tolist() == [1_000_000, 1_000_000, 3_000_000]
    assert batch["amount_cents"].tolist() == [50_000, 1_000_000, 1_000_000]
    stage.set_limit_multiplier(1.0)
    batch = stage.run(line_batch([0], [0], [5_000_000], income=2_000_000), CTX)
    assert batch["line_limit_cents"].tolist() == [2_000_000]
