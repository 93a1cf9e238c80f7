"""The columnar population: one row per consumer, traits drawn from the config."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.agents.consumer import service_boost
from simfin.agents.fraud import FIRST_PARTY, GENUINE, NEVER, STOLEN, SYNTHETIC
from simfin.agents.population import COHORT_AGES, Population
from simfin.config import COHORTS, BehaviourConfig, PopulationConfig

N = 20_000


def make(seed: int = 0, **fields) -> Population:
    return Population(PopulationConfig(n_consumers=fields.pop("n_consumers", N), **fields),
                      np.random.default_rng(seed))


@pytest.fixture(scope="module")
def pop() -> Population:
    p = make(fraud_share=0.02)
    p.attach_lenders(3)
    return p


def test_every_column_has_one_row_per_consumer(pop: Population):
    assert pop.n == N
    for name in Population.STATIC + Population.DYNAMIC:
        column = getattr(pop, name)
        assert isinstance(column, np.ndarray), name
        assert column.shape == (N,), name
    assert pop.loans_at.shape == (N, 3)
    assert pop.defaults_at.shape == (N, 3)
    assert not pop.loans_at.any() and not pop.defaults_at.any()


def test_same_seed_same_population_other_seed_differs():
    a, b, c = make(1, n_consumers=2_000), make(1, n_consumers=2_000), make(2, n_consumers=2_000)
    for name in Population.STATIC + Population.DYNAMIC:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert not np.array_equal(a.base_income_cents, c.base_income_cents)
    assert not np.array_equal(a.willingness, c.willingness)


def test_cohort_shares_follow_the_config():
    p = make(cohorts={"pre80": 0.1, "post80": 0.2, "post90": 0.3, "post00": 0.4})
    shares = np.bincount(p.cohort, minlength=4) / p.n
    assert shares == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=0.02)


def test_region_shares_follow_the_config():
    p = make(regions={"tier1": 0.5, "tier2": 0.3, "tier3": 0.2})
    shares = np.bincount(p.region, minlength=3) / p.n
    assert shares == pytest.approx([0.5, 0.3, 0.2], abs=0.02)


def test_ages_lie_in_the_cohorts_range(pop: Population):
    genuine = ~pop.is_fraud
    for code, cohort in enumerate(COHORTS):
        low, high = COHORT_AGES[cohort]
        ages = pop.age_years[genuine & (pop.cohort == code)]
        assert len(ages) > 0
        assert ages.min() >= low and ages.max() <= high, cohort
    assert pop.age_years[genuine].min() >= 18


def test_income_median_and_city_tiers():
    p = make(income_median_cents=600_000, tier1_income_multiplier=2.0)
    assert (p.base_income_cents > 0).all()
    tier1 = np.median(p.base_income_cents[p.region == 0])
    tier2 = np.median(p.base_income_cents[p.region == 1])
    tier3 = np.median(p.base_income_cents[p.region == 2])
    assert tier1 > tier2 > tier3
    assert 300_000 < tier2 < 900_000


def test_higher_income_median_raises_incomes():
    low, high = make(3, income_median_cents=300_000), make(3, income_median_cents=900_000)
    assert np.median(high.base_income_cents) > 2.5 * np.median(low.base_income_cents)


def test_willingness_is_a_probability_with_the_configured_mean():
    p = make(willingness_mean=0.7)
    assert ((p.willingness > 0) & (p.willingness < 1)).all()
    assert p.willingness.mean() == pytest.approx(0.7, abs=0.01)


def test_fraud_share_and_the_three_kinds_of_fraudster():
    p = make(fraud_share=0.05)
    assert p.is_fraud.mean() == pytest.approx(0.05, abs=0.007)
    kinds = np.bincount(p.fraud_kind[p.is_fraud], minlength=4)
    assert kinds[0] == 0 and (kinds[1:] > 0).all()  # first-party, synthetic, stolen
    assert (p.fraud_kind[~p.is_fraud] == GENUINE).all()
    assert np.array_equal(p.synthetic_id, p.fraud_kind == SYNTHETIC)
    assert np.array_equal(np.sort(p.fraud_rows), np.flatnonzero(p.is_fraud))
    synthetic, stolen = p.fraud_kind == SYNTHETIC, p.fraud_kind == STOLEN
    assert (p.income_overstatement[synthetic] >= 1.5).all()
    assert (p.bureau_delinquencies[synthetic] == 0).all()
    # Stolen identities carry real files: some have past delinquencies, like anyone.
    assert p.has_bureau_file[stolen].mean() > p.has_bureau_file[synthetic].mean()


def test_signals_are_imperfect_both_ways():
    p = make(fraud_share=0.05, n_consumers=40_000)
    genuine, stolen = ~p.is_fraud, p.fraud_kind == STOLEN
    synthetic = p.fraud_kind == SYNTHETIC
    # Some fraud passes each check, and some genuine consumers trip it.
    assert 0 < p.id_mismatch[synthetic].mean() < 1 and p.id_mismatch[genuine].any()
    assert 0 < p.contact_mismatch[stolen].mean() < 1 and p.contact_mismatch[genuine].any()
    assert p.contact_mismatch[stolen].mean() > 5 * p.contact_mismatch[genuine].mean()
    # First-party fraudsters really are less willing (and it shows, noisily).
    first = p.fraud_kind == FIRST_PARTY
    assert p.willingness[first].mean() < p.willingness[genuine].mean() - 0.1
    assert (p.trust_loans[stolen] == 0).all() and (p.trust_loans[genuine] == NEVER).all()


def test_no_fraud_when_the_share_is_zero():
    p = make(fraud_share=0.0, n_consumers=5_000)
    assert not p.is_fraud.any() and len(p.fraud_rows) == 0 and p.n_rings == 0


def test_rings_share_devices_and_contacts_and_families_share_too():
    p = make(fraud_share=0.05)
    rings = BehaviourConfig().fraud.rings
    members = p.ring_of >= 0
    assert members.any() and not (members & ~p.is_fraud).any()
    # identities_per_device members per ring device; one device per genuine consumer
    # except families, whose devices never mix with a ring's.
    _, per_device = np.unique(p.device_id[members], return_counts=True)
    assert per_device.max() == rings.identities_per_device
    assert not np.isin(p.device_id[members], p.device_id[~p.is_fraud]).any()
    genuine = p.device_id[~p.is_fraud]
    shared = len(genuine) - len(np.unique(genuine))
    assert shared == pytest.approx(len(genuine) * rings.household_device_share / 2, rel=0.05)


def test_thin_files_have_no_bureau_history():
    p = make(thin_file_share=0.4)
    thin = ~p.has_bureau_file
    assert thin.mean() == pytest.approx(0.4 * (1 + 0.6 * p.config.cohorts.post00), abs=0.03)
    assert (p.bureau_history_months[thin] == 0).all()
    assert (p.bureau_delinquencies[thin] == 0).all()
    assert (p.external_loans[thin] == 0).all()


def test_income_shock_cuts_income_while_it_lasts():
    p = make(n_consumers=100, shock_income_share=0.25, living_cost_share=0.5)
    rows = np.array([3, 4])
    p.shock_until_day[3] = 10
    income = p.income_cents(rows, day=5)
    assert income[0] == int(p.base_income_cents[3] * 0.25)
    assert income[1] == p.base_income_cents[4]
    assert p.income_cents(rows, day=10)[0] == p.base_income_cents[3]  # over on day 10
    p.debt_service_cents[4] = 1_000
    disposable = p.disposable_cents(rows, day=5)
    assert disposable[1] == int(p.base_income_cents[4] * 0.5) - 1_000


def test_step_shocks_starts_shocks_at_the_configured_rate():
    p = make(n_consumers=10_000, job_loss_rate=0.365, shock_duration_days=30.0)
    rng = np.random.default_rng(0)
    for day in range(10):
        p.step_shocks(day, rng)
    shocked = (p.shock_until_day > 9).sum()
    # about 10,000 * 0.001 per day * 10 days = 100 shocks, some still running
    assert 50 < shocked < 150
    assert p.shock_until_day.max() > 10


def test_no_shocks_when_the_rate_is_zero():
    p = make(n_consumers=1_000, job_loss_rate=0.0)
    rng = np.random.default_rng(0)
    for day in range(30):
        p.step_shocks(day, rng)
    assert (p.shock_until_day == -1).all()


def test_nbytes_counts_every_column(pop: Population):
    assert pop.nbytes() >= sum(getattr(pop, n).nbytes
                               for n in Population.STATIC + Population.DYNAMIC)
    assert pop.nbytes() > make(n_consumers=1_000).nbytes()


def test_income_by_cohort_scales_each_cohorts_income():
    default = make(n_consumers=5_000)
    post00 = default.cohort == COHORTS.index("post00")
    assert post00.any() and (~post00).any()
    factors = PopulationConfig().income_by_cohort
    assert factors[COHORTS.index("post00")] < 1.0  # precondition: the young earn less
    richer = make(n_consumers=5_000, income_by_cohort=factors[:3] + [1.4])
    assert np.median(richer.base_income_cents[post00]) > \
        1.9 * np.median(default.base_income_cents[post00])
    assert np.array_equal(richer.base_income_cents[~post00],
                          default.base_income_cents[~post00])


def test_thin_file_by_cohort_gives_the_young_fewer_bureau_files():
    post00 = COHORTS.index("post00")
    level = make(thin_file_share=0.3, thin_file_by_cohort=[1.0, 1.0, 1.0, 1.0])
    young = level.cohort == post00
    assert abs((~level.has_bureau_file[young]).mean() - 0.3) < 0.03  # precondition
    thinner = make(thin_file_share=0.3, thin_file_by_cohort=[1.0, 1.0, 1.0, 2.5])
    assert (~thinner.has_bureau_file[young]).mean() > 0.7
    # the other cohorts' genuine files are the same (fraudsters' are drawn after
    # draws whose count depends on the files)
    others = ~young & ~level.is_fraud
    assert np.array_equal(thinner.has_bureau_file[others], level.has_bureau_file[others])


def test_affinity_concentration_narrows_affinity_around_the_cohort_mean():
    loose, tight = make(affinity_concentration=2.0), make(affinity_concentration=60.0)
    for c in range(len(COHORTS)):
        rows = loose.cohort == c
        assert rows.sum() > 1_000
        assert tight.digital_affinity[rows].std() < 0.5 * loose.digital_affinity[rows].std()
        assert tight.digital_affinity[rows].mean() == pytest.approx(
            loose.digital_affinity[rows].mean(), abs=0.02)


def test_genuine_applicants_round_their_income_up_by_the_configured_spread():
    config = PopulationConfig(n_consumers=5_000, fraud_share=0.0)
    rounding = {}
    for sd in (0.1, 0.3):
        behaviour = BehaviourConfig()
        behaviour.application.income_overstatement_sd = sd
        rounding[sd] = Population(config, np.random.default_rng(0), behaviour
                                  ).income_overstatement
        assert rounding[sd].min() >= 1.0
        # |N(0, sd)| has mean sd * sqrt(2 / pi)
        assert rounding[sd].mean() - 1.0 == pytest.approx(sd * np.sqrt(2 / np.pi), rel=0.05)
    assert rounding[0.3].mean() > rounding[0.1].mean()


def test_every_consumer_starts_at_the_initial_satisfaction_which_moves_repayment():
    behaviour, rows = BehaviourConfig(), np.arange(100)
    content = Population(PopulationConfig(n_consumers=100), np.random.default_rng(0), behaviour)
    assert (content.satisfaction == np.float32(0.7)).all()
    assert service_boost(content, rows) == pytest.approx(0.0, abs=1e-6)  # neutral: precondition
    behaviour.service.initial_satisfaction = 0.4
    unhappy = Population(PopulationConfig(n_consumers=100), np.random.default_rng(0), behaviour)
    assert (unhappy.satisfaction == np.float32(0.4)).all()
    # before any contact, a less satisfied borrower is less likely to pay
    assert (service_boost(unhappy, rows) < -0.5).all()
