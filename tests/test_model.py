"""MarketModel: determinism, conservation of money, strategy effects, Mesa integration."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfin
from simfin import MarketModel
from simfin.agents.lender import Lender
from simfin.lending.ledger import KINDS
from tests.conftest import TWO_LENDERS

EARLY_MODEL = {
    "lenders.1.risk.model.min_outcomes": 10,
    "lenders.1.risk.model.min_bad_outcomes": 5,
    "lenders.1.risk.model.validation_share": 0.0,
    "lenders.1.risk.model.performance_window_days": 31,
    "lenders.1.risk.model.retrain_every_days": 7,
}


# -- determinism ---------------------------------------------------------------------------

def test_same_config_and_seed_give_identical_results(make_config):
    cfg = make_config(run__steps=60, population__fraud_share=0.05)
    a, b = simfin.run(cfg), simfin.run(cfg)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.loans, b.loans)
    assert a.summary == b.summary


def test_another_seed_gives_different_results(make_config):
    cfg = make_config(run__steps=60)
    a, b = simfin.run(cfg, seed=1), simfin.run(cfg, seed=2)
    assert a.steps.shape == b.steps.shape
    assert not a.steps.equals(b.steps)
    assert a.steps["applications"].tolist() != b.steps["applications"].tolist()


def test_rng_argument_overrides_the_config_seed(make_config):
    cfg = make_config(run__steps=20)
    by_arg = MarketModel(cfg, rng=5)
    by_cfg = MarketModel(simfin.load_config(cfg, {"run.seed": 5}))
    for model in (by_arg, by_cfg):
        for _ in range(20):
            model.step()
    pd.testing.assert_frame_equal(by_arg.recorder.steps_frame(), by_cfg.recorder.steps_frame())


# -- money is conserved --------------------------------------------------------------------

def check_accounts(model: MarketModel) -> None:
    """The identities every recorded row must satisfy, per lender."""
    steps = model.recorder.steps_frame()
    capital = {lc.name: lc.capital_cents for lc in model.config.lenders}
    assert len(steps) == model.day * len(model.lenders)
    for name, rows in steps.groupby("lender", observed=True):
        rows = rows.sort_values("day")
        assert rows["day"].tolist() == list(range(model.day))
        outstanding = rows["outstanding"].to_numpy()
        previous = np.concatenate([[0], outstanding[:-1]])
        flow = (rows["disbursed"] - rows["principal_repaid"] - rows["written_off"]).to_numpy()
        if "partner_funding" in rows:  # funding partners: parts sold, bought, guaranteed
            flow = flow + (rows["funding_for_others"] - rows["partner_funding"]
                           + rows["guarantee_paid"] - rows["guarantee_received"]).to_numpy()
        np.testing.assert_array_equal(outstanding, previous + flow, err_msg=str(name))
        # the allowance is a contra-asset: net assets equal equity
        np.testing.assert_array_equal(
            (rows["cash"] + rows["outstanding"] - rows["allowance"]).to_numpy(),
            rows["equity"].to_numpy(), err_msg=str(name))
        # the allowance rolls forward: opening + charge - release - net write-offs used
        allowance = rows["allowance"].to_numpy()
        used = (rows["written_off"] - rows["recoveries"]).to_numpy()
        np.testing.assert_array_equal(
            allowance, np.concatenate([[0], allowance[:-1]]) + rows["provision_charge"]
            - rows["provision_release"] - used, err_msg=str(name))
        assert (allowance >= 0).all()
        # profit after provisions is the change in equity; before them, it counts the
        # net write-offs instead of the charge, and differs by the allowance
        np.testing.assert_array_equal(rows["profit_after_provisions"].cumsum().to_numpy(),
                                      (rows["equity"] - capital[name]).to_numpy(),
                                      err_msg=str(name))
        np.testing.assert_array_equal(rows["profit"].cumsum().to_numpy(),
                                      (rows["equity"] + rows["allowance"]
                                       - capital[name]).to_numpy(), err_msg=str(name))
        assert (rows[list(KINDS)] >= 0).all().all()
        assert (rows["outstanding"] >= 0).all()


def held_by_lender(model: MarketModel, n: int) -> np.ndarray:
    """Outstanding principal on each lender's books from the loan rows: its loans, or with
    funding partners each party's part (``CoLending.holdings``)."""
    if model.co_lending is None:
        return model.book.outstanding_by_lender(n)
    _, parties, cents = model.co_lending.holdings(model.book.active_rows())
    return np.bincount(parties, weights=cents, minlength=n).round().astype(np.int64)


def operations_config(base: dict) -> dict:
    """The market with every money-moving mechanism switched on: a revolving line, a
    champion/challenger test, a failing bank-debit rail with retries and no auto-debit, a
    fixed platform that loses applications, unified service, the consortium, fees."""
    cfg = simfin.load_config(TWO_LENDERS, base)
    lenders = [lender.model_dump() for lender in cfg.lenders]
    lenders[0]["products"].append({"kind": "revolving", "limit_review_days": 20})
    lenders[0]["products"][0]["origination_fee_rate"] = 0.01
    lenders[0]["infrastructure"] = {"kind": "fixed", "capacity_per_day": 5}
    lenders[0]["service"] = {"mode": "unified"}
    lenders[1]["challenger"] = {"share": 0.3, "risk": {"model": {
        "kind": "gbm", "min_outcomes": 10, "min_bad_outcomes": 5, "validation_share": 0.0,
        "performance_window_days": 31}}}
    lenders[1]["payment"] = {"repayment_rail": "bank_transfer", "retry_days": 2,
                             "auto_debit": False}
    scenarios = [s.model_dump() for s in cfg.scenarios] + [
        {"name": "credit_line", "product": "revolving", "need_rate": 3.0,
         "ticket_median_cents": 50_000, "term_days": [30, 90]}]
    data = cfg.model_dump(mode="python")
    data.update(lenders=lenders, scenarios=scenarios)
    data["payments"]["bank_transfer"]["failure_rate"] = 0.3
    data["policy"]["consortium"] = True
    return data


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_consumers=st.integers(500, 3_000),
       apr_cap=st.none() | st.floats(0.15, 1.0),
       approval_threshold=st.floats(0.02, 0.6),
       fraud_share=st.floats(0.0, 0.2),
       seed=st.integers(0, 10**9),  # run.seed is bounded to 1e9
       days=st.integers(60, 120),
       default_dpd=st.integers(5, 40),
       writeoff_extra=st.integers(0, 30),
       recovery_rate=st.floats(0.0, 1.0),
       operations=st.booleans(),
       macro=st.sampled_from(("steady", "adverse", "severe", "covid_2020")),
       macro_start=st.integers(0, 60))
def test_books_balance_every_day(n_consumers, apr_cap, approval_threshold, fraud_share, seed,
                                 days, default_dpd, writeoff_extra, recovery_rate,
                                 operations, macro, macro_start):
    base = {
        "macro.scenario": macro, "macro.start_day": macro_start,
        **EARLY_MODEL,
        "population.n_consumers": n_consumers, "policy.apr_cap": apr_cap,
        "lenders.1.risk.approval_threshold": approval_threshold,
        "population.fraud_share": fraud_share, "run.seed": seed, "run.steps": days,
        "run.default_dpd": default_dpd, "run.writeoff_dpd": default_dpd + writeoff_extra,
        "run.recovery_rate": recovery_rate,
    }
    cfg = simfin.load_config(operations_config(base) if operations else None,
                             None if operations else base)
    model = MarketModel(cfg)
    n = len(model.lenders)
    for _ in range(days):
        model.step()
        # the ledger's loans account is the loan book's outstanding principal, by lender
        # (with funding partners, as the default market has, each party's part)
        np.testing.assert_array_equal(model.ledger.balance("loans"), held_by_lender(model, n))
    check_accounts(model)
    if apr_cap is not None:
        assert (model.book.column("apr") <= apr_cap + 1e-6).all()


def test_operations_config_exercises_its_mechanisms():
    """The rich market of the accounting property really uses what it switches on."""
    cfg = simfin.load_config(operations_config({**EARLY_MODEL, "population.n_consumers": 3_000,
                                                "run.steps": 90, "run.seed": 1}))
    result = simfin.run(cfg)
    totals = result.steps.groupby("lender", observed=True).sum(numeric_only=True)
    assert totals.loc["rules_only", "lost"] > 0
    assert totals.loc["scored", "retried_debits"] > 0
    assert totals.loc["scored", "payment_fees"] > 0
    assert (result.loans["product"] == 2).sum() > 0  # revolving draws
    assert result.loans["challenger"].sum() > 0
    check_accounts(result.model)


def test_small_run_exercises_every_kind_of_credit_event(small_run):
    """The fixture run behind the accounting checks has repayments, cures and losses."""
    totals = small_run.steps.sum(numeric_only=True)
    for column in ("disbursed", "principal_repaid", "interest_paid", "written_off",
                   "recoveries", "new_defaults", "cures", "missed_payments", "fraud_loans"):
        assert totals[column] > 0, column
    check_accounts(small_run.model)


def test_summary_profit_matches_the_ledger(small_run):
    model = small_run.model
    for lender in model.lenders:
        equity = int(model.ledger.balance("equity")[lender.index])
        allowance = int(model.ledger.balance("allowance")[lender.index])
        ind = small_run.summary["lenders"][lender.name]
        assert ind["profit_after_provisions"] == equity - lender.config.capital_cents
        assert ind["profit"] == equity + allowance - lender.config.capital_cents
        assert ind["allowance_end"] == allowance


# -- strategy direction --------------------------------------------------------------------

DIRECTION_SEEDS = (0, 1, 2)
DIRECTION_BASE = {
    **EARLY_MODEL,
    "population.n_consumers": 4_000, "run.steps": 200,
    # no cap and one price, so that the threshold (not the APR cap, nor a risk price that
    # the riskiest applicants decline) decides who gets a loan
    "policy.apr_cap": None, "lenders.1.pricing.strategy": "flat",
    # a default is 30+ days past due, so that loans booked by the model can default in time
    "run.default_dpd": 30, "run.writeoff_dpd": 90,
}


def scored_totals(threshold: float) -> tuple[int, int, list[bool]]:
    approvals = defaults = 0
    in_use = []
    for seed in DIRECTION_SEEDS:
        result = simfin.run(TWO_LENDERS, overrides={**DIRECTION_BASE, "run.seed": seed,
                                                    "lenders.1.risk.approval_threshold": threshold})
        mine = result.steps[result.steps["lender"] == "scored"]
        approvals += int(mine["approvals"].sum())
        defaults += int(mine["new_defaults"].sum())
        in_use.append(result.model.lenders[1].model_in_use
                      and result.summary["lenders"]["scored"]["declines_by_reason"].get(
                          "SCORE", 0) > 0)
    return approvals, defaults, in_use


def test_looser_approval_threshold_approves_more_and_defaults_more():
    strict_approvals, strict_defaults, strict_in_use = scored_totals(0.05)
    loose_approvals, loose_defaults, loose_in_use = scored_totals(0.3)
    assert all(strict_in_use) and all(loose_in_use)
    assert loose_approvals > 1.2 * strict_approvals
    assert loose_defaults > strict_defaults


def test_stricter_rules_approve_less(make_config):
    base = make_config(run__steps=60)
    rules = [r.model_dump() for r in base.lenders[0].risk.rules]
    strict_rules = rules + [{"name": "any_delinquency", "when": "bureau_delinquencies >= 1",
                             "action": "reject", "reason": "ANY_DLQ"}]
    approvals = {"base": 0, "strict": 0}
    for seed in (0, 1):
        for label, rule_set in (("base", rules), ("strict", strict_rules)):
            result = simfin.run(base, seed=seed,
                                overrides={"lenders.0.risk.rules": rule_set})
            approvals[label] += result.summary["lenders"]["rules_only"]["approvals"]
            if label == "strict":
                declines = result.summary["lenders"]["rules_only"]["declines_by_reason"]
                assert declines.get("ANY_DLQ", 0) > 0
    assert approvals["strict"] < approvals["base"]


# -- the model as a Mesa model -------------------------------------------------------------

def test_datacollector_has_one_row_per_step(make_config):
    model = MarketModel(make_config(run__steps=25))
    for _ in range(25):
        model.step()
    assert isinstance(model.datacollector, mesa.DataCollector)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 25
    # Flows are run-to-date totals of the recorded days; balances are that day's.
    daily = model.recorder.steps_frame().groupby("day", observed=True)[
        ["applications", "approvals", "new_defaults", "profit", "outstanding"]].sum()
    assert frame["applications"].tolist() == daily["applications"].cumsum().tolist()
    assert frame["approvals"].tolist() == daily["approvals"].cumsum().tolist()
    assert frame["defaults"].tolist() == daily["new_defaults"].cumsum().tolist()
    assert frame["profit_cents"].tolist() == daily["profit"].cumsum().tolist()
    assert frame["outstanding_cents"].tolist() == daily["outstanding"].tolist()
    assert frame["approvals"].iloc[-1] > 0


def test_lenders_are_mesa_agents_in_config_order(small_cfg):
    model = MarketModel(small_cfg)
    assert isinstance(model, mesa.Model)
    assert [lender.name for lender in model.lenders] == [lc.name for lc in small_cfg.lenders]
    assert set(model.agents_by_type[Lender]) == set(model.lenders)
    assert all(lender.model is model for lender in model.lenders)


def test_model_accepts_a_dict_or_a_path(tmp_path, small_cfg):
    from simfin.config import dump_config

    path = tmp_path / "m.yaml"
    path.write_text(dump_config(small_cfg), encoding="utf-8")
    from_path = MarketModel(str(path))
    from_dict = MarketModel(small_cfg.model_dump(mode="json"))
    assert from_path.config == small_cfg == from_dict.config
    for model in (from_path, from_dict):
        for _ in range(5):
            model.step()
    pd.testing.assert_frame_equal(from_path.recorder.steps_frame(),
                                  from_dict.recorder.steps_frame())


def test_cold_start_prices_every_loan_flat(make_config):
    # the scored lender never gets enough outcomes in 40 days: rules only, flat price
    result = simfin.run(make_config(run__steps=40))
    scored = result.loans[result.loans["lender"] == 1]
    assert len(scored) > 0
    assert not result.model.lenders[1].model_in_use
    assert (scored["grade"] == -1).all()
    assert np.isnan(scored["pd"]).all()
    assert "SCORE" not in result.summary["lenders"]["scored"]["declines_by_reason"]


def test_model_in_use_grades_and_scores_loans(small_run):
    scored = small_run.loans[small_run.loans["lender"] == 1]
    assert small_run.model.lenders[1].model_in_use
    graded = scored[scored["grade"] >= 0]
    assert len(graded) > 0
    assert ((graded["pd"] >= 0) & (graded["pd"] <= 1)).all()
    # the rules-only lender never grades
    assert (small_run.loans.loc[small_run.loans["lender"] == 0, "grade"] == -1).all()


def test_loans_respect_cap_and_product_limits(small_run):
    cfg = small_run.config
    loans = small_run.loans
    assert (loans["apr"] <= cfg.policy.apr_cap + 1e-6).all()
    for i in range(len(cfg.lenders)):
        for code, kind in enumerate(("instalment", "cash", "revolving")):
            product = cfg.product(i, kind)
            mine = loans[(loans["lender"] == i) & (loans["product"] == code)]
            if product is None:
                assert mine.empty
                continue
            assert (mine["principal_cents"] >= product.min_amount_cents).all()
            assert (mine["principal_cents"] <= product.max_amount_cents).all()


def test_booked_loans_match_the_recorded_counts(small_run):
    steps, loans = small_run.steps, small_run.loans
    for i, lc in enumerate(small_run.config.lenders):
        mine = steps[steps["lender"] == lc.name]
        booked = loans[loans["lender"] == i]
        assert mine["loans"].sum() == len(booked)
        assert mine["disbursed"].sum() == booked["principal_cents"].sum()
        assert mine["new_defaults"].sum() == booked["defaulted"].sum()
        assert mine["approvals"].sum() >= mine["loans"].sum()


@pytest.mark.parametrize("day", [0, 1])
def test_step_advances_one_day(small_cfg, day):
    model = MarketModel(small_cfg)
    for _ in range(day + 1):
        model.step()
    assert model.day == day + 1
    assert model.recorder.steps_frame()["day"].max() == day
