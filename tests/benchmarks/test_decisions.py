"""Decision throughput: a lender's whole pipeline on one large batch, next to the bare
score ``X @ w`` on the same feature matrix and to the same decisions made one application
at a time (the per-application reference).
"""

from __future__ import annotations

import numpy as np
import pytest

from simfin.bench import timings as ms
from simfin.lending.batch import APPROVED, DECLINED


def record(benchmark, **figures) -> None:
    """Put figures (and their references) in the benchmark's JSON and on the console."""
    benchmark.extra_info.update(figures)
    print(" ".join(f"{k}={v:,.4g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in figures.items()))


@pytest.fixture(scope="module")
def logistic(size):
    return ms.decision_setup(size.decision_rows, "logistic")


@pytest.fixture(scope="module")
def gbm(size):
    return ms.decision_setup(size.decision_rows, "gbm")


def run_pipeline(benchmark, size, lender, batch):
    out = benchmark.pedantic(ms.decide, setup=lambda: ((lender, ms.copy_batch(batch)), {}),
                             rounds=size.rounds, iterations=1)
    assert out.n == batch.n
    assert {APPROVED, DECLINED} <= set(np.unique(out["decision"]))
    return out


@pytest.mark.benchmark(group="decisions")
def test_logistic_pipeline(benchmark, size, logistic):
    lender, batch = logistic
    out = run_pipeline(benchmark, size, lender, batch)
    assert lender.scorers[0].folded_ is not None  # the folded fast path decides
    assert np.isfinite(out["pd"][out["decision"] == APPROVED]).all()
    seconds = ms.time_pipeline(lender, batch, size.rounds)
    floor = ms.time_score_floor(batch, size.rounds)
    record(benchmark, decisions_per_s=batch.n / seconds, floor_rows_per_s=batch.n / floor,
           share_of_floor=floor / seconds)


@pytest.mark.benchmark(group="decisions")
def test_logistic_pipeline_two_threads(benchmark, size, logistic, monkeypatch):
    lender, batch = logistic
    one_thread = ms.decide(lender, ms.copy_batch(batch))
    monkeypatch.setattr(lender.pipeline, "threads", 2)
    out = run_pipeline(benchmark, size, lender, batch)
    for name in ("decision", "reason", "grade", "apr"):
        np.testing.assert_array_equal(out[name], one_thread[name])


@pytest.mark.benchmark(group="decisions")
def test_bare_score_floor(benchmark, size, logistic):
    x, w = ms.score_floor_inputs(logistic[1])
    benchmark.pedantic(lambda: x @ w, rounds=size.rounds, iterations=1)


@pytest.mark.benchmark(group="decisions")
def test_per_application_reference(benchmark, size, logistic):
    lender, batch = logistic
    per_app = benchmark.pedantic(ms.time_reference, args=(lender, batch, size.reference_rows),
                                 rounds=1, iterations=1)
    pipeline = ms.time_pipeline(lender, batch, size.rounds) / batch.n
    record(benchmark, reference_decisions_per_s=1 / per_app,
           pipeline_speedup=per_app / pipeline)


@pytest.mark.benchmark(group="decisions")
def test_gbm_pipeline(benchmark, size, gbm):
    lender, batch = gbm
    assert type(lender.scorers[0].estimator_).__name__ == "HistGradientBoostingClassifier"
    run_pipeline(benchmark, size, lender, batch)
    record(benchmark, decisions_per_s=batch.n / ms.time_pipeline(lender, batch, size.rounds))
