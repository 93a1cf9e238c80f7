"""The benchmark harness: what it keeps out of the timed days changes nothing in them."""

from __future__ import annotations

import pandas as pd

from simfin.bench.timings import bench_config, warm_up
from simfin.config import load_config
from simfin.model import MarketModel


def _run(days: int, warm: bool) -> MarketModel:
    config = bench_config(3_000, days).model_dump(mode="python")
    for lender in config["lenders"]:  # models that go live in a small, short market
        lender["risk"]["model"].update(min_outcomes=50, min_bad_outcomes=5,
                                       performance_window_days=31, retrain_every_days=14)
    model = MarketModel(load_config(config))
    if warm:
        assert warm_up(model) > 0  # precondition: the benchmark market has scoring stages
    for _ in range(days):
        model.step()
    return model


def test_the_warm_up_leaves_the_market_unchanged():
    plain, warmed = _run(200, warm=False), _run(200, warm=True)
    assert any(lender.model_in_use for lender in plain.lenders)  # refits happened
    pd.testing.assert_frame_equal(plain.recorder.steps_frame(), warmed.recorder.steps_frame())
    pd.testing.assert_frame_equal(plain.book.frame(), warmed.book.frame())


def test_a_market_without_models_has_nothing_to_warm_up():
    config = bench_config(1_000, 1).model_dump(mode="python")
    for lender in config["lenders"]:
        lender["risk"]["model"]["kind"] = "none"
    assert warm_up(MarketModel(config)) == 0.0
