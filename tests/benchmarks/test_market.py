"""Market throughput, the plain-Mesa reference, memory, creation and collection."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.bench import timings as ms
from simfin.lending.ledger import ALLOWANCE


def record(benchmark, **figures) -> None:
    """Put figures (and their references) in the benchmark's JSON and on the console."""
    benchmark.extra_info.update(figures)
    print(" ".join(f"{k}={v:,.4g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in figures.items()))


@pytest.mark.benchmark(group="market step")
@pytest.mark.parametrize("which", [0, 1, 2])
def test_market_step(benchmark, size, which):
    """The whole market step at 10k, 100k and 1M consumers (large; smaller sizes run
    fewer and smaller markets).
    """
    steps = [n for n in size.market if n in (1_000, 10_000, 100_000, 1_000_000)]
    if which >= len(steps):
        pytest.skip("smaller sizes run fewer markets")
    n = steps[which]
    run = benchmark.pedantic(ms.run_market, args=(n, size.market_days), rounds=1,
                             iterations=1)
    step = np.array(run["step"])
    assert run["model"].book.n > 0
    record(benchmark, consumers=n, consumer_days_per_s=n * len(step) / step.sum(),
           mean_day_ms=step.mean() * 1e3, last30_day_ms=step[-30:].mean() * 1e3,
           first_use_s=run["first_use"],
           collect_ms=float(np.mean(run["collect"][-30:])) * 1e3)


@pytest.mark.benchmark(group="market step")
def test_market_year_with_a_macro_path(benchmark, size):
    """The year (the largest market of the size) under the ``severe`` macro path from day
    0, with the IFRS 9 allowance computed every day: a downturn must not cost the scale.
    """
    n = size.market[-1]
    run = benchmark.pedantic(ms.run_market, args=(n, size.market_days, "severe"), rounds=1,
                             iterations=1)
    step = np.array(run["step"])
    model = run["model"]
    # precondition: the path moved the market and the lenders held an allowance
    assert model.config.macro.scenario == "severe" and model.book.n > 0
    assert model.ledger.balances[:, ALLOWANCE].sum() > 0
    record(benchmark, consumers=n, consumer_days_per_s=n * len(step) / step.sum(),
           mean_day_ms=step.mean() * 1e3,
           year_s=run["create"] + run["first_use"] + step.sum())


@pytest.mark.benchmark(group="market step")
def test_plain_mesa_reference(benchmark, size):
    n, days = size.plain
    plain = benchmark.pedantic(ms.time_plain_market, args=(n, days), rounds=1, iterations=1)
    ours = ms.run_market(n, days)
    theirs_rate = n * days / sum(plain["step"])
    ours_rate = n * days / sum(ours["step"])
    record(benchmark, plain_consumer_days_per_s=theirs_rate,
           simfin_consumer_days_per_s=ours_rate, speedup=ours_rate / theirs_rate)


@pytest.mark.benchmark(group="memory")
def test_year_memory_and_peak_rss(benchmark, size):
    n = size.market[-1]
    year = benchmark.pedantic(ms.market_in_child, args=(n, size.market_days), rounds=1,
                              iterations=1)
    per_consumer = sum(year["bytes"].values()) / n
    assert per_consumer < 2_000
    record(benchmark, consumers=n, days=size.market_days, bytes_per_consumer=per_consumer,
           peak_rss_mb=year["maxrss"] / 2**20,
           run_s=year["create"] + year["first_use"] + sum(year["step"]),
           **{f"{k} B/consumer": v / n for k, v in year["bytes"].items()})


@pytest.mark.benchmark(group="memory")
@pytest.mark.parametrize("log", [True, False], ids=["log", "no_log"])
def test_peak_rss_at_scale(benchmark, size, log):
    """Peak RSS of ``simfin.run()`` on the baseline market in a fresh process (tiny: 20k x 5
    days; small: 1M x 30; large: 10M x 30), with and without the application log, beside
    the estimate ``simfin run`` checks before it starts.
    """
    import simfin
    from simfin.bench.peak_memory import BASELINE, run_peak
    from simfin.memory import estimate

    n, days = size.scale
    peak = benchmark.pedantic(run_peak, args=(n, days, log), rounds=1, iterations=1)
    assert peak["loans"] > 0 and (peak["applications"] > 0) == log
    config = simfin.load_config(BASELINE, {"population.n_consumers": n, "run.steps": days,
                                           "run.record_applications": log})
    estimated = estimate(config).peak_bytes
    assert peak["maxrss"] / 1.5 <= estimated <= peak["maxrss"] * 1.5
    record(benchmark, consumers=n, days=days, record_applications=log,
           peak_rss_mb=peak["maxrss"] / 2**20, estimate_mb=estimated / 2**20,
           loans=peak["loans"], applications=peak["applications"])


@pytest.mark.benchmark(group="creation and collection")
def test_create_consumers(benchmark, size):
    benchmark.pedantic(ms.time_creation, args=(size.creation, 1), rounds=size.rounds,
                       iterations=1)


@pytest.mark.benchmark(group="creation and collection")
def test_collect_a_day(benchmark, size):
    n = size.market[-1]
    model = ms.run_market(n, min(size.market_days, 120))["model"]

    def collect():
        model.recorder.end_day(model.day, model.ledger, model.book,
                               model.population.satisfaction)
        model.datacollector.collect(model)

    benchmark.pedantic(collect, rounds=max(size.rounds, 3), iterations=1)


@pytest.mark.benchmark(group="creation and collection")
def test_mesa_agent_reporters_reference(benchmark, size):
    n = size.agent_collection
    seconds = benchmark.pedantic(ms.time_agent_collection, args=(n,), rounds=1, iterations=1)
    record(benchmark, consumers=n, seconds_per_million=seconds / n * 1e6)
