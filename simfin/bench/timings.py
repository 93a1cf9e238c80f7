"""The measurements behind ``simfin bench`` and the pytest-benchmark suite
(``tests/benchmarks/``): decision throughput, market step throughput, memory, creation
and collection, each with the reference it is compared with.

Every function builds what it measures from scratch, from a fixed seed, and returns
seconds (or bytes); :mod:`simfin.bench.suite` turns them into the table.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np

from simfin.agents.consumer import Consumer
from simfin.agents.observations import application_batch
from simfin.bench.reference_lender import ReferenceLender
from simfin.config import MarketConfig, load_config
from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Outcomes
from simfin.lending.scoring import MODEL_FEATURES, ScoringStage, feature_matrix
from simfin.model import MarketModel

SEED = 2026
BENCH_MARKET = Path(__file__).with_name("market.yaml")
DECIDING_LENDER = 2  # the benchmark market's third lender runs every pipeline stage


def bench_config(n_consumers: int, days: int = 365, model: str = "logistic",
                 macro: str = "steady") -> MarketConfig:
    """The benchmark market (``simfin/bench/market.yaml``: a rules-only lender and a scored
    one) plus a third lender that runs every stage: four data sources, face verification, a
    statistical model, revolving lines, unified service, bureau reporting. ``macro`` names
    the macroeconomic path (``macro.scenario``; the IFRS 9 allowance is computed in every
    run): a path that moves makes the days dearer (more shocks, delinquency and
    provisions), which is what the year with a path on measures.
    """
    data = load_config(BENCH_MARKET).model_dump(mode="python")
    data["lenders"].append({
        "name": "full_stack", "reports_to_bureau": True,
        "products": [{"kind": "instalment"}, {"kind": "cash"}, {"kind": "revolving"}],
        "risk": {"data_sources": ["bureau", "id_registry", "social_security", "consortium"],
                 "verification": "face", "rules": data["lenders"][1]["risk"]["rules"],
                 "model": {"kind": model}},
        "service": {"mode": "unified"}})
    data["population"]["n_consumers"] = n_consumers
    data["run"].update(steps=days, seed=SEED)
    data["macro"] = {**data.get("macro", {}), "scenario": macro}
    return load_config(data)


def best_of(fn: Callable[[], object], rounds: int,
            setup: Callable[[], tuple] | None = None) -> float:
    """Fastest of ``rounds`` timed calls (seconds); ``setup`` is untimed."""
    best = float("inf")
    for _ in range(rounds):
        args = setup() if setup else ()
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


# -- decisions ---------------------------------------------------------------------------

def decision_setup(n_rows: int, model: str = "logistic"):
    """A lender with a trained model and a batch of ``n_rows`` applications, one per
    consumer (a market of ``n_rows`` consumers), as a day's batch would arrive.

    Returns:
        ``(lender, batch)``; decide copies of the batch (the pipeline writes into it).
    """
    # One fit on synthetic outcomes (below) is deployed unvalidated.
    market = MarketModel(load_config(bench_config(max(n_rows, 1_000), model=model), {
        f"lenders.{DECIDING_LENDER}.risk.model.min_bad_outcomes": 1,
        f"lenders.{DECIDING_LENDER}.risk.model.validation_share": 0.0}))
    pop, lender = market.population, market.lenders[DECIDING_LENDER]
    rng = np.random.default_rng(SEED)
    # Some market state behind the data sources: loans at each lender, income shocks.
    pop.loans_at[:] = (rng.random(pop.loans_at.shape) < 0.15)
    pop.shock_until_day[rng.random(pop.n) < 0.03] = 400

    def batch_of(consumers: np.ndarray) -> ApplicationBatch:
        n = len(consumers)
        product = rng.integers(0, 3, n).astype(np.int8)
        apps = {"consumer": consumers.astype(np.int32),
                "amount_cents": np.exp(np.log(200_000) + 0.8 * rng.standard_normal(n)
                                       ).astype(np.int64),
                "term_days": np.array([14, 30, 90, 180, 360], dtype=np.int32)[
                    rng.integers(0, 5, n)],
                "online": rng.random(n) < 0.8, "scenario": (product % 2).astype(np.int8),
                "product": product, "channel": rng.integers(0, 3, n).astype(np.int8),
                "lender": np.full(n, DECIDING_LENDER, dtype=np.int16)}
        return application_batch(pop, apps, DECIDING_LENDER, 0, rng, market._shares_data,
                                 np.zeros(n, dtype=np.int64))

    # Train on a cold-start batch with outcomes that follow the hidden willingness to repay.
    history = lender.pipeline.run(batch_of(rng.permutation(pop.n)[:min(pop.n, 100_000)]),
                                  DecisionContext(day=0, rng=np.random.default_rng(1)))
    bad = rng.random(history.n) < 0.7 * (1 - pop.willingness[history["consumer"]])
    for pipeline in lender.pipelines:
        pipeline.observe(Outcomes(0, feature_matrix(history), bad))
    return lender, batch_of(rng.permutation(pop.n)[:n_rows])


def copy_batch(batch: ApplicationBatch) -> ApplicationBatch:
    """A fresh copy of a batch."""
    return ApplicationBatch({k: v.copy() for k, v in batch.columns.items()})


def decide(lender, batch: ApplicationBatch) -> ApplicationBatch:
    """The lender's pipeline on the batch (the benchmarked call)."""
    return lender.pipeline.run(batch, DecisionContext(day=5, rng=np.random.default_rng(7)))


def time_pipeline(lender, batch: ApplicationBatch, rounds: int, threads: int = 1) -> float:
    """Seconds for the lender's pipeline to decide the batch (best of ``rounds``), with
    its row-wise slices on ``threads`` threads.
    """
    lender.pipeline.threads = threads
    try:
        return best_of(lambda b: decide(lender, b), rounds, lambda: (copy_batch(batch),))
    finally:
        lender.pipeline.threads = 1


def score_floor_inputs(batch: ApplicationBatch) -> tuple[np.ndarray, np.ndarray]:
    """The feature matrix of the batch (float32, missing values 0) and a weight vector."""
    x = np.nan_to_num(feature_matrix(batch))
    return x, np.linspace(-1, 1, x.shape[1], dtype=np.float32)


def time_score_floor(batch: ApplicationBatch, rounds: int) -> float:
    """Seconds for the bare score ``X @ w`` on the batch's feature matrix."""
    x, w = score_floor_inputs(batch)
    return best_of(lambda: x @ w, rounds)


def time_reference(lender, batch: ApplicationBatch, n_rows: int) -> float:
    """Seconds per application for the per-application reference (on ``n_rows`` rows)."""
    rows = [{k: v[i] for k, v in batch.columns.items()} for i in range(min(n_rows, batch.n))]
    reference = ReferenceLender(lender.pipeline, np.random.default_rng(7))
    start = time.perf_counter()
    reference.decide_all(rows)
    return (time.perf_counter() - start) / len(rows)


# -- the market --------------------------------------------------------------------------

def run_market(n_consumers: int, days: int, macro: str = "steady") -> dict:
    """Run the benchmark market; per-day seconds of the step and of its collection.

    The one-time costs of a process come before the timed days and are returned apart:
    creating the market (``create``) and its learners' first use (``first_use``, see
    :func:`warm_up`); the year's total counts them both.
    """
    start = time.perf_counter()
    model = MarketModel(bench_config(n_consumers, days, macro=macro))
    created = time.perf_counter() - start
    first_use = warm_up(model)
    collect: list[float] = []  # the day's recording: indicators and the DataCollector
    end_day, datacollector_collect = model.recorder.end_day, model.datacollector.collect

    def recorded(*day_results) -> None:
        t = time.perf_counter()
        end_day(*day_results)
        collect.append(time.perf_counter() - t)

    def collected(m: MarketModel) -> None:
        t = time.perf_counter()
        datacollector_collect(m)
        collect[-1] += time.perf_counter() - t

    model.recorder.end_day, model.datacollector.collect = recorded, collected
    step = []
    cpu = time.process_time()  # on a shared machine, CPU seconds say what wall time hides
    for _ in range(days):
        t = time.perf_counter()
        model.step()
        step.append(time.perf_counter() - t)
    return {"consumers": n_consumers, "days": days, "create": created,
            "first_use": first_use, "step": step,
            "cpu": time.process_time() - cpu, "collect": collect,
            "bytes": memory_bytes(model), "model": model}


def warm_up(model: MarketModel) -> float:
    """Seconds of what a process pays once, at its first refit, paid before the timed days:
    a throwaway scoring stage of each kind the market's scoring stages use is fitted and
    validated on 256 synthetic rows (importing scikit-learn, about 0.7 s of CPU, its
    first-call set-up and the thread limit's controller).

    Like creating the market, it is paid once per process whatever the market's size and
    length, so it is reported beside the days instead of spread over them (a 365-day run
    would carry 2 ms of it a day, a 10-day run 70-90 ms). The market is untouched: its
    stages are not used, and the data come from a generator of their own.
    """
    start = time.perf_counter()
    kinds = {stage.make_estimator for lender in model.lenders for stage in lender.learners
             if isinstance(stage, ScoringStage)}
    x = np.random.default_rng(0).random((256, len(MODEL_FEATURES))).astype(np.float32)
    for make_estimator in kinds:
        probe = ScoringStage(make_estimator, approval_threshold=1.0, min_outcomes=1,
                             reason_code=0, validation_share=0.5)
        if not probe.fit(x, x[:, 0] > 0.5):
            raise RuntimeError("warm_up: the throwaway scoring stage did not fit")
    return time.perf_counter() - start if kinds else 0.0


def memory_bytes(model: MarketModel) -> dict[str, int]:
    """Bytes held by the market's state, by part."""
    training = sum(a.nbytes for lender in model.lenders
                   for a in lender.train_x_ + lender.train_rows_)
    sources = sum(s.covered.nbytes for s in model.sources.values())
    view = len(model._consumers) * _agent_bytes()
    return {"population": model.population.nbytes(), "loan book": model.book.nbytes(),
            "data sources": sources, "training data": training, "Mesa view": view}


def _agent_bytes() -> int:
    """Bytes of one consumer's Mesa view (``model.consumer(row)``), measured once."""
    if not _AGENT_BYTES:
        model = MarketModel(bench_config(1_000, 1))
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for row in range(1_000):
            model.consumer(row)
        _AGENT_BYTES.append((tracemalloc.get_traced_memory()[0] - before) // 1_000)
        tracemalloc.stop()
    return _AGENT_BYTES[0]


_AGENT_BYTES: list[int] = []


def market_in_child(n_consumers: int, days: int, macro: str = "steady") -> dict:
    """:func:`run_market` in a fresh Python process, with its peak RSS (bytes)."""
    out = subprocess.run([sys.executable, "-m", "simfin.bench.timings", str(n_consumers),
                          str(days), macro], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_plain_market(n_consumers: int, days: int) -> dict:
    """The plain-Mesa reference: creation and per-day seconds of ``shuffle_do("step")``."""
    from simfin.bench.plain_market import PlainMarket

    start = time.perf_counter()
    plain = PlainMarket(bench_config(n_consumers, days), rng=SEED)
    created = time.perf_counter() - start
    step = []
    for _ in range(days):
        t = time.perf_counter()
        plain.step()
        step.append(time.perf_counter() - t)
    return {"create": created, "step": step}


def plain_agent_bytes(n_consumers: int = 5_000) -> int:
    """Bytes per consumer agent of the plain-Mesa model (its Python attributes)."""
    from simfin.bench.plain_market import PlainConsumer

    model = mesa.Model(rng=SEED)
    model.market = MarketModel(bench_config(n_consumers, 1))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for row in range(n_consumers):
        PlainConsumer(model, row)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used // n_consumers


def time_creation(n_consumers: int, rounds: int = 3) -> float:
    """Seconds to create the population of ``n_consumers`` consumers (best of ``rounds``)."""
    from simfin.agents.population import Population

    config = bench_config(n_consumers, 1)
    return best_of(lambda: Population(config.population, np.random.default_rng(SEED))
                   .attach_lenders(len(config.lenders)), rounds)


def time_agent_collection(n_consumers: int) -> float:
    """Seconds for a Mesa ``DataCollector`` with agent reporters to collect one step over
    ``n_consumers`` consumer agents (the reference for simfin's column aggregates).
    """
    model = MarketModel(bench_config(n_consumers, 1))
    for row in range(n_consumers):
        model.consumer(row)
    collector = mesa.DataCollector(agenttype_reporters={Consumer: {
        "satisfaction": "satisfaction", "debt_service": "debt_service_cents"}})
    start = time.perf_counter()
    collector.collect(model)
    return time.perf_counter() - start


def _child(n_consumers: int, days: int, macro: str) -> None:
    result = run_market(n_consumers, days, macro)
    result.pop("model")
    result["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    _child(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
