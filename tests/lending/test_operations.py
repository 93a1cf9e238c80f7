"""The operational stages: platform capacity, data sources, biometrics, rails, service."""

import numpy as np
import pytest

from simfin.config.behaviour import ServiceBehaviour
from simfin.lending.batch import LOST, PENDING, ApplicationBatch
from simfin.lending.customer_service import ServiceChannel, ServiceDesk
from simfin.lending.data_sources import DataSource, DataSourceStage
from simfin.lending.infrastructure import MAX_UTILISATION, CapacityStage
from simfin.lending.payment import RETRY_DELAY_MINUTES, Rail
from simfin.lending.pipeline import DecisionContext
from simfin.lending.verification import VerificationStage


def ctx(seed: int = 0) -> DecisionContext:
    return DecisionContext(day=0, rng=np.random.default_rng(seed))


def batch(n: int, **columns) -> ApplicationBatch:
    return ApplicationBatch({"consumer": np.arange(n), **columns})


def platform(kind: str) -> CapacityStage:
    return CapacityStage(kind, capacity_per_day=100, base_latency_minutes=0.5,
                         cost_per_decision_cents=2.0, elastic_premium=3.0,
                         fixed_cost_per_day_cents=1_000, reason_code=4)


def test_a_fixed_platform_drops_what_exceeds_capacity_and_queues_the_rest():
    out = platform("fixed").run(batch(150), ctx())
    assert (out["decision"] == LOST).sum() == 50
    assert (out["reason"][out["decision"] == LOST] == 4).all()
    assert out["decision_minutes"][0] == pytest.approx(0.5 / (1 - MAX_UTILISATION))
    assert out.costs_cents["infrastructure_cost"] == 1_000 + 2 * 100


def test_a_cloud_platform_decides_everything_and_pays_a_premium_above_capacity():
    out = platform("cloud").run(batch(150), ctx())
    assert (out["decision"] == PENDING).all()
    assert out["decision_minutes"][0] == pytest.approx(0.5)
    assert out.costs_cents["infrastructure_cost"] == 1_000 + 2 * 100 + 2 * 3 * 50


def test_a_fixed_platform_below_capacity_is_only_slower_under_load():
    light = platform("fixed").run(batch(10), ctx())
    busy = platform("fixed").run(batch(90), ctx())
    assert (light["decision"] == PENDING).all() and (busy["decision"] == PENDING).all()
    assert busy["decision_minutes"][0] > light["decision_minutes"][0]


def test_data_sources_fill_covered_rows_price_every_query_and_wait_for_the_slowest():
    covered = np.array([True, False, True, True])
    bureau = DataSource("bureau", covered, {
        "bureau_hit": lambda rows: np.ones(len(rows)),
        "bureau_delinquencies": lambda rows: rows * 10.0}, cost_cents=200,
        latency_minutes=0.2, miss_values={"bureau_hit": 0.0})
    registry = DataSource("id_registry", np.ones(4, bool),
                          {"id_match": lambda rows: np.ones(len(rows))}, 20, 0.05, bit=1)
    b = batch(4, bureau_hit=np.full(4, np.nan), bureau_delinquencies=np.full(4, np.nan),
              id_match=np.full(4, np.nan), decision_minutes=np.zeros(4, np.float32))
    b["decision"][3] = 2  # already declined: not queried
    out = DataSourceStage([bureau, registry]).run(b, ctx())
    assert out["bureau_hit"][:3].tolist() == [1.0, 0.0, 1.0]
    assert np.isnan(out["bureau_delinquencies"][1]) and out["bureau_delinquencies"][2] == 20
    assert np.isnan(out["bureau_hit"][3])
    assert out.costs_cents["data_cost"] == 3 * 200 + 3 * 20
    assert out["decision_minutes"].tolist() == pytest.approx([0.2, 0.2, 0.2, 0.0])
    assert out["data_queried"].tolist() == [0b11, 0b11, 0b11, 0]  # each source's bit


def test_biometrics_stop_impostors_at_the_false_accept_rate():
    n = 20_000
    impostor = np.arange(n) < n // 2
    stage = VerificationStage("face", false_accept_rate=0.02, false_reject_rate=0.05,
                              latency_minutes=0.5, cost_cents=30, reason_code=1)
    out = stage.run(batch(n, truth_is_fraud=impostor), ctx(3))
    passed = out["decision"] == PENDING
    assert passed[impostor].mean() == pytest.approx(0.02, abs=0.006)
    assert 1 - passed[~impostor].mean() == pytest.approx(0.05, abs=0.01)
    assert out.costs_cents["verification_cost"] == n * 30
    assert out["decision_minutes"][0] == pytest.approx(0.5)


def test_a_rail_retries_failures_and_charges_every_attempt():
    rail = Rail("bank", latency_minutes=10.0, failure_rate=0.5, fee_cents=7)
    minutes, fees = rail.transfer(50_000, np.random.default_rng(1))
    attempts = (minutes + RETRY_DELAY_MINUTES) / (10.0 + RETRY_DELAY_MINUTES)
    assert np.allclose(attempts, np.round(attempts))
    assert attempts.mean() == pytest.approx(2.0, rel=0.03)  # geometric, p = 0.5
    assert fees == round(attempts.sum()) * 7


CHANNELS = [ServiceChannel("in_app", 40, 0.7, 0.3), ServiceChannel("wechat", 30, 0.75, 0.5),
            ServiceChannel("voice", 400, 0.8, 1.0)]


def desk(mode: str) -> ServiceDesk:
    return ServiceDesk(mode, CHANNELS, contact_rate=3.0, collection_channel=CHANNELS[1],
                       collection_intensity=2.0, effects=ServiceBehaviour())


def test_a_unified_platform_resolves_more_and_collects_better_than_silos():
    assert desk("unified").quality > desk("siloed").quality
    assert desk("unified").cure_multiplier > desk("siloed").cure_multiplier > 1.0


def test_service_contacts_move_satisfaction_towards_the_desks_quality():
    results = {}
    for mode in ("siloed", "unified"):
        satisfaction = np.full(5_000, 0.5, dtype=np.float32)
        interactions = np.zeros(5_000, dtype=np.int16)
        rng = np.random.default_rng(0)
        cost = sum(desk(mode).serve(np.arange(5_000), satisfaction, interactions, rng)
                   for _ in range(120))
        results[mode] = satisfaction.mean()
        assert cost > 0 and interactions.sum() > 0
    assert results["unified"] > results["siloed"]
    assert results["unified"] == pytest.approx(desk("unified").quality, abs=0.03)


def test_collections_cost_scales_with_delinquent_loans_and_intensity():
    rng = np.random.default_rng(2)
    cost = np.mean([desk("siloed").collect(700, rng) for _ in range(200)])
    assert cost == pytest.approx(700 * 2.0 / 7 * 30, rel=0.03)
    assert ServiceDesk("siloed", CHANNELS, 1.0, CHANNELS[0], 0.0,
                       ServiceBehaviour()).collect(700, rng) == 0


def _served(effects: ServiceBehaviour, days: int = 60) -> tuple[int, int]:
    """Contacts and cost of a unified desk serving 5,000 borrowers for ``days`` days."""
    satisfaction = np.full(5_000, 0.5, dtype=np.float32)
    interactions = np.zeros(5_000, dtype=np.int16)
    rng = np.random.default_rng(3)
    service = ServiceDesk("unified", CHANNELS, 3.0, CHANNELS[1], 2.0, effects)
    cost = sum(service.serve(np.arange(5_000), satisfaction, interactions, rng)
               for _ in range(days))
    return int(interactions.sum()), cost


def test_a_longer_contact_period_spreads_the_same_contacts_thinner():
    contacts, cost = _served(ServiceBehaviour())
    # precondition: 3 contacts a month (30 days) for 60 days
    assert contacts == pytest.approx(5_000 * 3.0 * 60 / 30, rel=0.03)
    fewer, cheaper = _served(ServiceBehaviour(contact_period_days=60.0))
    assert fewer == pytest.approx(contacts / 2, rel=0.05) and cheaper < 0.6 * cost


def test_a_longer_collection_period_means_fewer_collection_calls():
    weekly = np.mean([desk("siloed").collect(700, np.random.default_rng(s)) for s in range(50)])
    assert weekly == pytest.approx(700 * 2.0 / 7 * 30, rel=0.05)  # precondition
    fortnightly = ServiceDesk("siloed", CHANNELS, 3.0, CHANNELS[1], 2.0,
                              ServiceBehaviour(collection_period_days=14.0))
    cost = np.mean([fortnightly.collect(700, np.random.default_rng(s)) for s in range(50)])
    assert cost == pytest.approx(weekly / 2, rel=0.05)


def test_the_unified_quality_cap_bounds_what_a_platform_resolves():
    bonus = ServiceBehaviour().unified_quality_bonus
    uncapped = np.mean([c.quality for c in CHANNELS]) + bonus
    assert desk("unified").quality == pytest.approx(uncapped)  # precondition: under 0.99
    capped = ServiceDesk("unified", CHANNELS, 3.0, CHANNELS[1], 2.0,
                         ServiceBehaviour(max_unified_quality=0.7))
    assert capped.quality == 0.7 < desk("unified").quality
