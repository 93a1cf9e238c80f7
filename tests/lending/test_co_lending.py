"""Funding partners (simfin.lending.co_lending): each party's books exact every day, the
parts of every co-funded loan adding up to the whole, the borrowers' payments equal to the
parties' receipts, and, after a run-off, each party's provisions equal to its net losses;
over random partner configs (shares, prices, who bears the loss, credit lines, the minimum
own share changed on a schedule) on a small market with a macro path and provisions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import simfin
from simfin.config.funding import CREDIT_RISKS
from simfin.lending.co_lending import BASIS
from simfin.lending.loan_book import ACTIVE
from simfin.outputs.figures_book import waterfall_flows
from simfin.outputs.loan_table import named_loans
from simfin.outputs.report import render_report

MARKET = Path(__file__).resolve().parents[1] / "markets" / "co_lending.yaml"
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)  # a market run per example
SEVERE = {"macro.scenario": "severe", "population.n_consumers": 1_500}

PARTNER = st.fixed_dictionaries({
    "share": st.sampled_from([0.05, 0.3, 0.5, 0.7, 0.9999, 1.0]),
    "funding_apr": st.sampled_from([None, 0.0, 0.06, 0.12, 0.5]),
    "credit_risk": st.sampled_from(CREDIT_RISKS),
    "max_outstanding_cents": st.sampled_from([None, 5_000_000, 20_000_000]),
})


def run(partners: list[dict] | None, back: list[dict] | None = None, **overrides):
    """The test market with the platform's partner ``partners`` (the bank) and the bank's
    ``back`` (the platform), on the severe path."""
    changes = {**SEVERE, **overrides,
               "lenders.0.funding.partners": [{"lender": "bank", **p} for p in partners or []],
               "lenders.1.funding.partners": [{"lender": "platform", **p}
                                              for p in back or []]}
    return simfin.run(MARKET, overrides=changes)


def flows(result) -> dict[str, np.ndarray]:
    """Every ledger kind's total over the run, per lender."""
    ledger = result.model.ledger
    total = np.sum(ledger.history, axis=0)
    return {kind: total[:, j] for j, kind in enumerate(ledger.kinds)}


@pytest.fixture(scope="module")
def solo():
    """The market with no partner at all: the same loans and the same borrowers' payments
    as with any partners (no conduct rule: nothing a partner changes reaches a decision)."""
    return run(None)


@example(partner={"share": 0.7, "funding_apr": 0.08, "credit_risk": "guarantee",
                  "max_outstanding_cents": None}, back=[], own=None, raised=0.3)
@example(partner={"share": 1.0, "funding_apr": 0.1, "credit_risk": "partner",
                  "max_outstanding_cents": None},
         back=[{"share": 0.5, "funding_apr": None, "credit_risk": "pro_rata",
                "max_outstanding_cents": 5_000_000}], own=0.3, raised=1.0)
@settings(max_examples=5, deadline=None, derandomize=True, phases=NO_SHRINK,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(partner=PARTNER, back=st.lists(PARTNER, max_size=1),
       own=st.sampled_from([None, 0.0, 0.3]), raised=st.sampled_from([None, 0.3, 1.0]))
def test_every_party_s_books_are_exact_and_the_parts_add_up(solo, partner, back, own,
                                                            raised):
    schedule = [] if raised is None else [{"day": 30, "min_own_share": raised}]
    result = run([partner], back, **{"policy.min_own_share": own,
                                     "policy.schedule": schedule})
    model, loans = result.model, result.loans
    # every day was closed, so the ledger's identity (cash + loans - allowance = equity,
    # per lender) was checked every day; it holds at the end
    assert result.steps["day"].nunique() == result.config.run.total_days
    model.ledger.check()
    cofunded = loans[loans["funder"] >= 0]
    assert len(cofunded) > 0  # precondition: partners funded loans
    bp = cofunded["funder_share"].to_numpy(np.int64)
    # the own share in force clipped every partner's share
    for day_from, floor in ((0, own), (30, raised)):
        floor = floor if day_from == 0 or raised is not None else own
        part = cofunded[cofunded["origination_day"] >= day_from]
        if floor is not None and len(part):
            assert part["funder_share"].max() <= BASIS - round(floor * BASIS)
    if raised == 1.0:
        assert (loans.loc[loans["origination_day"] >= 30, "funder"] < 0).all()
    # the parts of every co-funded loan's principal add up to it, and the ledger holds them
    principal = cofunded["principal_cents"].to_numpy(np.int64)
    partner_part = principal * bp // BASIS
    f = flows(result)
    for i in range(2):
        theirs = (cofunded["funder"] == i).to_numpy()
        mine = (cofunded["lender"] == i).to_numpy()
        assert f["funding_for_others"][i] == partner_part[theirs].sum()
        assert f["partner_funding"][i] == partner_part[mine].sum()
        own_part = principal[mine] - partner_part[mine]
        assert f["disbursed"][i] - f["partner_funding"][i] == (
            own_part.sum() + loans.loc[(loans["lender"] == i) & (loans["funder"] < 0),
                                       "principal_cents"].sum())
    # the same loans as without partners, and the borrowers paid the parties together
    # exactly what they paid the lenders alone
    assert loans.drop(columns=["funder", "funder_share"]).equals(solo.loans)
    alone = flows(solo)
    for kinds in (("principal_repaid",), ("interest_paid", "service_fees"), ("fees_paid",),
                  ("recoveries",)):
        assert sum(f[k].sum() for k in kinds) == sum(alone[k].sum() for k in kinds
                                                     if k in alone), kinds
    # the bearer of a guaranteed part bought it (guarantee_paid) and wrote the whole off
    assert f["written_off"].sum() == alone["written_off"].sum()
    assert f["guarantee_paid"].sum() == f["guarantee_received"].sum()
    # after the run-off no loan is left; each party's provisions were its net losses
    assert (loans["status"] != ACTIVE).all()  # precondition: the run-off ended every loan
    assert not model.co_lending.held_.any() and not model.co_lending.own_.any()
    assert (model.ledger.balance("loans") == 0).all()
    assert (model.ledger.balance("allowance") == 0).all()
    charged = f["provision_charge"] - f["provision_release"]
    assert (charged == f["written_off"] - f["recoveries"]).all()
    assert f["written_off"].sum() > 0  # precondition: losses to provide for


def test_a_partner_keeps_interest_at_its_price_and_the_platform_the_service_fee(solo):
    """Pure co-lending (no price): the partner earns the loan's rate on its share and its
    share of the fees; at a price it earns less and no fees, and what it gives up of its
    share of the interest is the platform's service fee, cent for cent."""
    free = run([{"share": 0.7, "funding_apr": None, "credit_risk": "pro_rata"}])
    priced = run([{"share": 0.7, "funding_apr": 0.08, "credit_risk": "pro_rata"}])
    f, g, alone = flows(free), flows(priced), flows(solo)
    assert f["service_fees"].sum() == 0 and f["fees_paid"][1] > alone["fees_paid"][1]
    assert g["service_fees"][0] > 0 and g["service_fees"][1] == 0
    assert g["fees_paid"][1] == alone["fees_paid"][1]  # only its own loans' fees
    # the bank's interest on the platform's loans (beyond its own loans', the same in
    # every run): less at a price, by exactly the platform's service fee
    free_share = f["interest_paid"][1] - alone["interest_paid"][1]
    priced_share = g["interest_paid"][1] - alone["interest_paid"][1]
    assert 0 < priced_share < free_share
    assert priced_share + g["service_fees"][0] == free_share
    assert g["interest_paid"][0] == f["interest_paid"][0]
    record = priced.summary["lenders"]["platform"]["co_lending"]
    assert record["service_fees_earned"] == int(g["service_fees"][0]) > 0
    assert record["funded_by_partners"] == int(g["partner_funding"][0]) > 0


@pytest.mark.parametrize("risk", CREDIT_RISKS)
def test_who_bears_the_loss_writes_it_off_and_provides_for_it(solo, risk):
    result = run([{"share": 0.7, "funding_apr": 0.08, "credit_risk": risk}])
    f = flows(result)
    platform, bank = f["written_off"][0], f["written_off"][1]
    bank_alone = flows(solo)["written_off"][1]
    assert f["written_off"].sum() > 0  # precondition: loans were written off
    if risk == "guarantee":  # the platform bore every loss of its loans
        assert f["guarantee_paid"][0] > 0 and f["guarantee_received"][1] > 0
        assert bank == bank_alone
    elif risk == "partner":  # the bank bore every loss of the platform's loans
        assert f["guarantee_paid"][1] > 0 and f["guarantee_received"][0] > 0
        assert platform == 0
    else:
        assert f["guarantee_paid"].sum() == 0
        assert platform > 0 and bank > bank_alone
    # the steps carry the co-lending kinds, summary.json the totals; profit (with the
    # service fees) is the same in the steps, the summary and the waterfall figure
    assert {"service_fees", "guarantee_paid"} <= set(result.steps.columns)
    for name, out in result.summary["lenders"].items():
        rows = result.steps[result.steps["lender"] == name]
        assert out["profit"] == int(rows["profit"].sum())
        assert sum(v for _, v in waterfall_flows(result.steps, name)) == pytest.approx(
            out["profit"] / 100)
    assert result.summary["lenders"]["platform"]["co_lending"]["guarantee_paid"] == int(
        f["guarantee_paid"][0])


def test_capital_light_facilitation_funds_nothing_and_earns_a_fee():
    result = run([{"share": 1.0, "funding_apr": 0.1, "credit_risk": "partner"}])
    steps = result.steps[result.steps["lender"] == "platform"]
    platform_loans = result.loans[result.loans["lender"] == 0]
    assert len(platform_loans) > 0 and (platform_loans["funder_share"] == BASIS).all()
    assert (steps["outstanding"] == 0).all() and steps["funding_cost"].sum() == 0
    assert steps["service_fees"].sum() > 0 and steps["written_off"].sum() == 0
    assert steps["allowance"].max() == 0  # it bears no loss: it provides for none
    report = render_report(result.config, result.summary, [])
    fees = result.summary["lenders"]["platform"]["co_lending"]["service_fees_earned"]
    assert "## Funding partners" in report and f"{fees / 100:,.0f} |" in report


def test_without_partners_the_outputs_keep_their_columns_and_keys(solo):
    """The written loans.parquet names each partner; a market without partners has none
    of the co-lending columns, kinds or keys (its files are as before: tests/test_golden.py).
    """
    assert "funder" not in solo.loans.columns and "service_fees" not in solo.steps.columns
    assert "co_lending" not in solo.summary["lenders"]["platform"]
    assert "## Funding partners" not in render_report(solo.config, solo.summary, [])
    result = run([{"share": 0.5, "credit_risk": "pro_rata"}], **{"run.runoff_days": 0})
    named = named_loans(result.loans, result.config)
    assert set(named["funder"].cat.categories) == {"platform", "bank"}
    co = (result.loans["funder"] >= 0).to_numpy()
    assert co.any() and (~co).any()  # precondition: loans with and without a partner
    assert (named.loc[co, "funder"] == "bank").all() and named.loc[~co, "funder"].isna().all()


@pytest.mark.parametrize("risk", CREDIT_RISKS)
def test_each_party_s_capital_ratio_counts_the_loss_it_bears(risk):
    """A guarantee moves the exposure (and the capital held against it) to the guarantor;
    the loan parts each party holds are its ``outstanding``."""
    result = run([{"share": 0.6, "funding_apr": 0.08, "credit_risk": risk}],
                 **{"run.runoff_days": 0, "policy.min_capital_ratio": 0.0})
    model, loans = result.model, result.loans
    live = loans[loans["status"] == ACTIVE]
    out = live["outstanding_cents"].to_numpy(np.int64)
    co = (live["funder"] >= 0).to_numpy()
    part = np.where(co, out * live["funder_share"].to_numpy(np.int64) // BASIS, 0)
    assert part.sum() > 0  # precondition: the bank holds parts of the platform's loans
    mine = (live["lender"] == 0).to_numpy()
    platform_held = (out - part)[mine].sum()
    bank_held = out[~mine].sum() + part.sum()
    assert model.ledger.balance("loans").tolist() == [platform_held, bank_held]
    bears = {"pro_rata": [platform_held, bank_held],
             "guarantee": [out[mine].sum(), out[~mine].sum()],
             "partner": [(out - part)[mine & ~co].sum(),
                         bank_held + (out - part)[mine & co].sum()]}
    assert model.conduct.exposure().tolist() == bears[risk]
    last = result.steps[result.steps["day"] == result.steps["day"].max()]
    equity = model.ledger.balance("equity")
    expected = [equity[i] / bears[risk][i] if bears[risk][i] else np.nan for i in range(2)]
    assert last["capital_ratio"].tolist() == pytest.approx(expected, nan_ok=True)


def test_a_partner_s_parts_of_odd_repayments_add_up_to_its_part_of_the_principal():
    """Parts of a stock, differenced: 101 cents at 50 % repaid 33 + 33 + 35 gives the
    partner 50 (not 17 + 17 + 18 = 52 by rounding each repayment)."""
    from simfin.lending.co_lending import CoLending, Partner
    from simfin.lending.ledger import Ledger
    from simfin.lending.loan_book import LoanBook

    book = LoanBook(extra_columns={"funder": np.int16, "funder_share": np.int16})
    ledger = Ledger(2, [1_000, 1_000], co_lending=True)
    co = CoLending(book, ledger, [[Partner(1, 5_000, None, 2, None)], []])
    principal = np.array([101])
    rows = book.add(lender=np.array([0]), principal_cents=principal,
                    outstanding_cents=principal, rate_per_period=np.array([0.01]),
                    period_days=np.array([30]), **co.assign(0, principal))
    co.originate(0, rows, np.array([7]))
    assert ledger.balance("loans").tolist() == [51, 50]
    assert ledger.flow("fees_paid").tolist() == [4, 3]
    balance = 101
    for paid in (33, 33, 35):
        co.repay(rows, np.array([balance]), np.array([balance - paid]), np.array([1]),
                 np.array([0]))
        balance -= paid
        ledger.check()
    assert ledger.balance("loans").tolist() == [0, 0]
    assert ledger.flow("principal_repaid").tolist() == [51, 50]
    assert ledger.flow("interest_paid").sum() == 3  # the borrower's, whole
    assert co.held_.sum() == 0 and co.own_.sum() == 0


def test_a_partner_never_holds_more_than_its_credit_line(monkeypatch):
    """``max_outstanding_cents``: after every booking the partner's holding of the
    platform's loans is within its line; loans that do not fit are the platform's alone."""
    from simfin.lending.co_lending import CoLending

    line = 2_000_000
    peaks: list[int] = []
    originate = CoLending.originate

    def watched(self, originator, rows, fees):
        originate(self, originator, rows, fees)
        peaks.append(int(self.held_[0, 1]))

    monkeypatch.setattr(CoLending, "originate", watched)
    result = run([{"share": 0.7, "credit_risk": "pro_rata", "max_outstanding_cents": line}],
                 **{"run.runoff_days": 0})
    platform = result.loans[result.loans["lender"] == 0]
    assert max(peaks) <= line
    assert max(peaks) > 0.8 * line  # precondition: the line was nearly used up ...
    assert (platform["funder"] < 0).sum() > 0  # ... and loans were left to the platform
    assert (platform["funder"] >= 0).sum() > 0
