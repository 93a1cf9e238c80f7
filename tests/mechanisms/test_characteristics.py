"""Each of the seed text's seven characteristics is a mechanism with a switch: flipping the
switch moves the indicators in the direction the seed claims.

Every comparison runs the same seeds on both sides (common random numbers) and sums over
three replicates, so that one lucky seed cannot make a test pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfin

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SEEDS = (11, 12, 13)


def runs(config: str, overrides: list[str] | None = None, steps: int | None = None,
         n_consumers: int | None = None) -> list[simfin.RunResult]:
    extra = list(overrides or [])
    if n_consumers is not None:
        extra.append(f"population.n_consumers={n_consumers}")
    return [simfin.run(CONFIGS / config, steps=steps, seed=seed, overrides=extra)
            for seed in SEEDS]


def total(results: list[simfin.RunResult], lender: str, key: str) -> float:
    return float(sum(r.summary["lenders"][lender][key] for r in results))


def mean(results: list[simfin.RunResult], lender: str, key: str) -> float:
    return float(np.mean([r.summary["lenders"][lender][key] for r in results]))


# -- 1. scenarios move online ------------------------------------------------------------

def test_offline_needs_move_online_over_time():
    results = runs("c1_scenarios.yaml", steps=300, n_consumers=15_000)
    early = late = 0.0
    for r in results:
        s = r.steps
        first, last = s[s["day"] < 90], s[s["day"] >= 210]
        early += first["online_applications"].sum() / first["applications"].sum()
        late += last["online_applications"].sum() / last["applications"].sum()
    assert late > early + 0.05 * len(results)


def test_more_cash_needs_raise_the_short_term_share():
    base = runs("c1_scenarios.yaml", steps=150, n_consumers=15_000)
    more_cash = runs("c1_scenarios.yaml", ["scenarios.6.need_rate=3.0"], steps=150,
                     n_consumers=15_000)
    # paired seeds: every seed's short-term share rises (the cash product is short-term; at
    # the 36 % cap the lender books only the cash loans that pay, about +0.03 here)
    rise = [m.summary["lenders"]["scenario_lender"]["short_term_share"]
            - b.summary["lenders"]["scenario_lender"]["short_term_share"]
            for m, b in zip(more_cash, base, strict=True)]
    assert min(rise) > 0 and float(np.mean(rise)) > 0.02, rise


# -- 2. products for internet users --------------------------------------------------------

def test_low_friction_converts_better_and_most_for_born_digital_cohorts():
    results = runs("c2_products.yaml", steps=120, n_consumers=20_000)
    ratio = {}
    for cohort in ("pre80", "post00"):
        fast = sum(r.summary["lenders"]["mobile_first"]["by_cohort"][cohort]["applications"]
                   for r in results)
        fast_needs = sum(r.summary["lenders"]["mobile_first"]["by_cohort"][cohort]["needs"]
                         for r in results)
        slow = sum(r.summary["lenders"]["long_form"]["by_cohort"][cohort]["applications"]
                   for r in results)
        slow_needs = sum(r.summary["lenders"]["long_form"]["by_cohort"][cohort]["needs"]
                         for r in results)
        assert fast / fast_needs > slow / slow_needs
        ratio[cohort] = (slow / slow_needs) / (fast / fast_needs)
    # A long form loses a larger share of the post-00 cohort than of the pre-80 one.
    assert ratio["post00"] < ratio["pre80"] - 0.1


# -- 3. channels move online ---------------------------------------------------------------

def test_channels_differ_in_cost_and_in_the_risk_they_bring():
    results = runs("c3_channels.yaml", steps=300, n_consumers=20_000)

    def channel(name: str, key: str) -> float:
        return float(np.mean([r.summary["lenders"]["channel_lender"]["by_channel"][name][key]
                              for r in results]))

    assert channel("social", "default_share") > channel("app_store", "default_share")
    assert channel("social", "cac") < channel("app_store", "cac")
    without_social = runs("c3_channels.yaml", ["channels.1.reach=0"], steps=300,
                          n_consumers=20_000)
    # Closing the cheap channel raises the cost of acquisition. Its risk is not removed
    # with it: the risky consumers still need credit and come through other channels, so
    # the lender's default rate does not move (measured over seeds 11-18: -0.0002, seed
    # spread 0.009; experiments/README.md, c3).
    assert mean(without_social, "channel_lender", "cac") > mean(results, "channel_lender",
                                                                 "cac")


# -- 4. rules and data models together -----------------------------------------------------

@pytest.fixture(scope="module")
def risk_runs() -> list[simfin.RunResult]:
    # Flat pricing for the model lender: the score alone decides, so that the comparison
    # with the rules lender is at a similar approval rate.
    return runs("c4_risk_control.yaml", ["lenders.2.pricing.strategy=flat",
                                         "lenders.2.risk.approval_threshold=0.7"],
                n_consumers=30_000)


def test_a_trained_model_lowers_defaults_at_a_similar_approval_rate(risk_runs):
    def after_cold_start(r: simfin.RunResult, lender: int, name: str) -> tuple[float, float]:
        s = r.steps[(r.steps["lender"] == name) & (r.steps["day"] >= 150)]
        approval = s["approvals"].sum() / (s["approvals"] + s["declined"]).sum()
        lo = r.loans[(r.loans["lender"] == lender) & (r.loans["origination_day"] >= 150)
                     & (r.loans["origination_day"] + r.loans["period_days"] + 90 <= 364)]
        return approval, lo["defaulted"].mean()

    # precondition: the model lender's model decides from day 150 on
    assert all(r.model.lenders[2].model_since_day_ is not None
               and r.model.lenders[2].model_since_day_ <= 150 for r in risk_runs)
    rules = np.array([after_cold_start(r, 1, "rules") for r in risk_runs]).mean(axis=0)
    model = np.array([after_cold_start(r, 2, "rules_model") for r in risk_runs]).mean(axis=0)
    # Applicants compare offers and re-apply elsewhere, so the two lenders' pools differ and
    # equal thresholds do not give equal approval; the model must not buy its lower
    # defaults by declining most applicants.
    assert model[0] > rules[0] - 0.2 and model[0] > 0.5
    assert model[1] < 0.9 * rules[1]  # at least 10 % fewer defaults


def test_face_recognition_lowers_fraud_losses(risk_runs):
    assert total(risk_runs, "rules_model_face", "fraud_loss") < \
        0.2 * total(risk_runs, "rules_model", "fraud_loss")
    assert total(risk_runs, "rules_model_face", "verification_cost") > 0
    assert total(risk_runs, "rules_model", "verification_cost") == 0


def test_bureau_data_lowers_multi_lending_defaults(risk_runs):
    with_bureau = total(risk_runs, "rules", "multi_lending_defaults")
    without = total(risk_runs, "rules_no_bureau", "multi_lending_defaults")
    assert with_bureau < without
    assert total(risk_runs, "rules", "data_cost") > total(risk_runs, "rules_no_bureau",
                                                           "data_cost")


def test_champion_and_challenger_are_both_reported():
    result = simfin.run(CONFIGS / "c4_risk_control.yaml", steps=200, seed=1,
                        overrides=["population.n_consumers=15000"])
    split = result.summary["lenders"]["rules_model"]["champion_challenger"]
    assert split["champion"]["loans"] > 0 and split["challenger"]["loans"] > 0
    share = split["challenger"]["loans"] / (split["champion"]["loans"]
                                            + split["challenger"]["loans"])
    assert 0.1 < share < 0.3  # configured: 20 % of traffic


def test_a_lower_apr_cap_lowers_approvals_of_the_riskiest_grades():
    def risky_approvals(cap: float) -> int:
        results = runs("c4_risk_control.yaml", [f"policy.apr_cap={cap}"], steps=250,
                       n_consumers=20_000)
        return sum(r.summary["lenders"]["rules_model"]["approvals_by_grade"].get(g, 0)
                   for r in results for g in ("C", "D", "E"))

    assert risky_approvals(0.24) < 0.7 * risky_approvals(0.36)


# -- 5. payment moves online ---------------------------------------------------------------

@pytest.fixture(scope="module")
def payment_runs() -> list[simfin.RunResult]:
    return runs("c5_payment.yaml", steps=240, n_consumers=25_000)


def test_mobile_payment_shortens_time_to_cash(payment_runs):
    assert mean(payment_runs, "wallet_auto", "time_to_cash_minutes") * 10 < \
        mean(payment_runs, "bank_auto", "time_to_cash_minutes")


def test_auto_debit_raises_the_repayment_rate(payment_runs):
    assert mean(payment_runs, "wallet_auto", "repayment_rate") > \
        mean(payment_runs, "wallet_manual", "repayment_rate") + 0.01


def test_bank_debits_fail_more_often_and_cost_more(payment_runs):
    assert total(payment_runs, "bank_auto", "failed_debits") > \
        total(payment_runs, "wallet_auto", "failed_debits")
    assert total(payment_runs, "bank_auto", "payment_fees") > \
        total(payment_runs, "wallet_auto", "payment_fees")


# -- 6. service moves online ---------------------------------------------------------------

def test_unified_service_raises_satisfaction_and_the_cure_rate():
    results = runs("c6_service.yaml", steps=300, n_consumers=25_000)
    assert mean(results, "unified", "satisfaction") > mean(results, "siloed", "satisfaction")
    assert mean(results, "unified", "cure_rate") > mean(results, "siloed", "cure_rate")


# -- 7. infrastructure moves online --------------------------------------------------------

@pytest.fixture(scope="module")
def infrastructure_runs() -> list[simfin.RunResult]:
    # sized for an ordinary day: about 100 applications a day (99th percentile 140), 400
    # on the festival peaks
    return runs("c7_infrastructure.yaml", n_consumers=25_000, steps=330,
                overrides=["lenders.0.infrastructure.capacity_per_day=160",
                           "lenders.1.infrastructure.capacity_per_day=160"])


def test_a_fixed_platform_loses_applications_at_peaks(infrastructure_runs):
    assert total(infrastructure_runs, "cloud", "lost_applications") == 0
    assert total(infrastructure_runs, "fixed", "lost_applications") > 0
    for r in infrastructure_runs:
        s = r.steps[r.steps["lender"] == "fixed"]
        festival = s[s["day"].isin([167, 314])]["lost"].sum()
        assert festival > 0.5 * s["lost"].sum()  # losses come at the festival peaks


def test_the_sharing_consortium_lowers_multi_lending_defaults(infrastructure_runs):
    off = runs("c7_infrastructure.yaml", n_consumers=25_000, steps=330,
               overrides=["lenders.0.infrastructure.capacity_per_day=160",
                          "lenders.1.infrastructure.capacity_per_day=160",
                          "policy.consortium=false"])
    on_defaults = sum(total(infrastructure_runs, n, "multi_lending_defaults")
                      for n in ("cloud", "fixed"))
    off_defaults = sum(total(off, n, "multi_lending_defaults") for n in ("cloud", "fixed"))
    assert on_defaults < off_defaults
