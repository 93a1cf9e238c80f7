"""The batch pipeline makes exactly the decisions of the per-application reference."""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.agents.observations import application_batch
from simfin.bench.reference_lender import ReferenceLender
from simfin.bench.timings import BENCH_MARKET
from simfin.lending.assembly import StageBuild, pricing_stage
from simfin.lending.batch import APPROVED, DECLINED, REFERRED, ApplicationBatch
from simfin.lending.pipeline import DecisionContext
from simfin.lending.scoring import feature_matrix
from simfin.model import MarketModel

N_CONSUMERS, N_APPS = 3_000, 4_000


def full_lender_market(kind: str) -> MarketModel:
    """A market whose third lender runs every stage: product limits (with revolving
    lines), rules that reject, refer and flag, four data sources, face verification, a
    statistical model, risk-based pricing and an APR cap.
    """
    base = simfin.load_config(BENCH_MARKET).model_dump(mode="python")
    rules = base["lenders"][1]["risk"]["rules"] + [
        {"name": "big_ask", "when": "amount_to_income > 3", "action": "refer",
         "reason": "REVIEW"},
        {"name": "thin", "when": "bureau_hit == 0 and age_years < 25", "action": "flag",
         "reason": "THIN"},
        {"name": "unemployed", "when": "employed == 0", "action": "reject",
         "reason": "JOB"},
    ]
    base["lenders"].append({
        "name": "full", "reports_to_bureau": True,
        "products": [{"kind": "instalment"}, {"kind": "cash", "origination_fee_rate": 0.02},
                     {"kind": "revolving", "max_amount_cents": 2_000_000}],
        "risk": {"data_sources": ["bureau", "id_registry", "social_security", "consortium"],
                 "verification": "face", "rules": rules,
                 "model": {"kind": kind, "min_outcomes": 50, "min_bad_outcomes": 5,
                           "validation_share": 0.0}},
        "service": {"mode": "unified"}})
    base["population"].update(n_consumers=N_CONSUMERS, fraud_share=0.05)
    base["policy"].update(apr_cap=0.36, consortium=True)  # the consortium: a lender's view
    return MarketModel(simfin.load_config(base))


def applications(model: MarketModel, n: int, seed: int, unique: bool = False
                 ) -> ApplicationBatch:
    """``n`` applications to the third lender, some consumers applying more than once
    (unless ``unique``).
    """
    rng = np.random.default_rng(seed)
    product = rng.integers(0, 3, n).astype(np.int8)
    consumers = (rng.permutation(model.population.n)[:n] if unique else
                 rng.integers(0, model.population.n, n))
    apps = {"consumer": consumers.astype(np.int32),
            "amount_cents": np.exp(12 + rng.standard_normal(n)).astype(np.int64),
            "term_days": rng.choice(np.array([7, 14, 30, 90, 180, 360, 900], dtype=np.int32),
                                    n),
            "online": rng.random(n) < 0.8, "scenario": (product % 2).astype(np.int8),
            "product": product, "channel": rng.integers(0, 3, n).astype(np.int8),
            "lender": np.full(n, 2, dtype=np.int16)}
    used = rng.integers(0, 300_000, n) * (rng.random(n) < 0.3)
    limit = rng.integers(0, 3, n) * 500_000
    batch = application_batch(model.population, apps, 2, 0, rng, model._shares_data, used)
    batch["line_limit_cents"] = np.where(product == 2, limit, 0)
    return batch


def trained(kind: str):
    """The third lender with a model trained on a first batch (synthetic outcomes)."""
    model = full_lender_market(kind)
    pop = model.population
    lender = model.lenders[2]
    rng = np.random.default_rng(1)
    # Some state behind the data sources: loans at the lenders, income shocks.
    pop.loans_at[:] = rng.integers(0, 2, pop.loans_at.shape)
    pop.shock_until_day[rng.random(pop.n) < 0.1] = 50
    pop.interactions[rng.random(pop.n) < 0.5] = 3
    first = lender.pipeline.run(applications(model, 3_000, seed=2),
                                DecisionContext(day=0, rng=np.random.default_rng(3)))
    bad = rng.random(first.n) < 0.6 * (1 - pop.willingness[first["consumer"]])
    for pipeline in lender.pipelines:
        assert pipeline["scoring"].fit(feature_matrix(first), bad)
    return model, lender


def rows_of(batch: ApplicationBatch) -> list[dict]:
    return [{k: v[i] for k, v in batch.columns.items()} for i in range(batch.n)]


@pytest.mark.parametrize("kind,chunk_rows,threads,unique", [
    ("logistic", None, 1, False), ("logistic", 500, 1, False), ("logistic", 500, 2, False),
    ("logistic", 500, 2, True), ("gbm", None, 1, False)])
def test_batch_pipeline_makes_the_reference_decisions(kind, chunk_rows, threads, unique,
                                                      monkeypatch):
    model, lender = trained(kind)
    assert lender.model_in_use
    if chunk_rows:  # large-batch mode: slices, on one thread or two
        monkeypatch.setattr(lender.pipeline, "chunk_rows", chunk_rows)
        monkeypatch.setattr(lender.pipeline, "threads", threads)
    n = N_APPS if kind == "logistic" else 1_500
    n = min(n, N_CONSUMERS) if unique else n
    batch = applications(model, n, seed=11, unique=unique)
    expected = ReferenceLender(lender.pipeline, np.random.default_rng(5)).decide_all(
        rows_of(batch))
    got = lender.pipeline.run(batch, DecisionContext(day=5, rng=np.random.default_rng(5)))

    decision = np.array([d.decision for d in expected])
    np.testing.assert_array_equal(got["decision"], decision)
    np.testing.assert_array_equal(got["reason"], [d.reason for d in expected])
    np.testing.assert_array_equal(got["grade"], [d.grade for d in expected])
    np.testing.assert_array_equal(got["pd"], np.array([d.pd for d in expected], np.float32))
    np.testing.assert_array_equal(got["apr"], np.array([d.apr for d in expected], np.float32))
    np.testing.assert_array_equal(got["all_in_apr"],
                                  np.array([d.all_in_apr for d in expected], np.float32))
    # The comparison covers every kind of outcome and every stage's reason.
    assert {APPROVED, DECLINED, REFERRED} <= set(decision)
    codes = lender.reason_codes
    seen = {codes[d.reason] for d in expected if d.reason >= 0}
    assert {"AMOUNT", "SCORE", "VERIFY_FAIL", "REVIEW", "APR_CAP"} <= seen, seen
    assert unique or "DEVICE" in seen


@pytest.mark.parametrize("unique", [False, True])
def test_slices_and_threads_change_no_column(unique, monkeypatch):
    model, lender = trained("logistic")
    batch = applications(model, N_CONSUMERS if unique else N_APPS, seed=13, unique=unique)

    def run(chunk_rows: int, threads: int) -> ApplicationBatch:
        monkeypatch.setattr(lender.pipeline, "chunk_rows", chunk_rows)
        monkeypatch.setattr(lender.pipeline, "threads", threads)
        copy = ApplicationBatch({k: v.copy() for k, v in batch.columns.items()})
        return lender.pipeline.run(copy, DecisionContext(day=5, rng=np.random.default_rng(9)))

    whole, sliced = run(1 << 20, 1), run(700, 2)
    assert sorted(whole.columns) == sorted(sliced.columns)
    for name in whole.columns:
        np.testing.assert_array_equal(sliced[name], whole[name], err_msg=name)
    assert whole.costs_cents == sliced.costs_cents


def repriced(model: MarketModel, lender, strategy: str) -> None:
    """Rebuild the third lender's pricing steps from its config, on ``strategy``."""
    cfg = model.config.lenders[2]
    cfg.pricing.strategy = strategy
    for pipeline in lender.pipelines:
        pipeline.steps[pipeline.names.index("pricing")] = ("pricing", pricing_stage(
            StageBuild(model.config, cfg, cfg.risk, {}, lender.reason_codes,
                       lender.flag_reasons)))


def optimised_lender(price_test_share: float):
    """The trained third lender on the optimised policy, its take-up model live (fitted on
    offers of a first batch at random prices, taken with a falling curve).
    """
    model, lender = trained("logistic")
    cfg = model.config.lenders[2]
    cfg.pricing.optimised.price_test_share = price_test_share
    cfg.pricing.optimised.min_offers = 100
    repriced(model, lender, "optimised")
    offered = lender.pipeline.run(applications(model, 3_000, seed=12),
                                  DecisionContext(day=0, rng=np.random.default_rng(4)))
    rng = np.random.default_rng(6)
    offered["all_in_apr"] = rng.uniform(0.1, 0.36, offered.n).astype(np.float32)
    offers = np.flatnonzero(offered["decision"] == APPROVED)
    taken = rng.random(offered.n) < 1 / (1 + np.exp(-(1.5 - 6 * offered["all_in_apr"])))
    for stage in lender.pricers:
        stage.observe_offers(0, offered, offers, np.flatnonzero(taken))
        assert stage.demand.live
    return model, lender


def test_the_reference_makes_the_optimised_decisions_without_price_tests():
    model, lender = optimised_lender(price_test_share=0.0)
    batch = applications(model, 2_000, seed=11)
    expected = ReferenceLender(lender.pipeline, np.random.default_rng(5)).decide_all(
        rows_of(batch))
    got = lender.pipeline.run(batch, DecisionContext(day=5, rng=np.random.default_rng(5)))
    np.testing.assert_array_equal(got["decision"], [d.decision for d in expected])
    np.testing.assert_array_equal(got["all_in_apr"],
                                  np.array([d.all_in_apr for d in expected], np.float32))
    # the optimum differs from the cost-plus price (it is not the risk-based quote again)
    repriced(model, lender, "risk_based")
    assert lender.pipeline["pricing"].demand is None  # precondition: the cost-plus price
    risk = lender.pipeline.run(applications(model, 2_000, seed=11),
                               DecisionContext(day=5, rng=np.random.default_rng(5)))
    approved = got["decision"] == APPROVED
    assert (got["all_in_apr"][approved] != risk["all_in_apr"][approved]).mean() > 0.5


@pytest.mark.skip(reason="not reproducible one application at a time: the optimised "
                  "policy's price tests draw from the lender's stream for the whole batch "
                  "after the biometric check's draws (the reference raises "
                  "NotImplementedError); without price tests it is compared above")
def test_the_reference_makes_the_optimised_decisions_with_price_tests():
    model, lender = optimised_lender(price_test_share=0.1)
    ReferenceLender(lender.pipeline, np.random.default_rng(5)).decide_all(
        rows_of(applications(model, 100, seed=11)))
