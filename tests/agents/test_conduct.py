"""Lenders that respond and capital that binds, in runs of the suite's small market: a fixed
strategy is the plain run; a risk-appetite lender tightens under high delinquency; a capital
breach stops new lending (and the books stay exact); a lender below its floor leaves; a
lender enters on its day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST_EVENTS, small_config

import simfin
from simfin.model import MarketModel

QUIET = {"run.record_applications": False}


def run(**overrides) -> simfin.RunResult:
    return simfin.run(small_config(**{k.replace(".", "__"): v
                                      for k, v in {**QUIET, **overrides}.items()}))


def lender_rows(result, name: str) -> pd.DataFrame:
    return result.steps[result.steps["lender"] == name].set_index("day")


def assert_books_exact(result) -> None:
    """The ledger's own identity held every day (``Ledger.close_day`` checks it and raises
    otherwise: the run finished) and holds at the end; profit (before provisions) adds up
    to the change in equity with the allowance added back, for every lender."""
    from simfin.lending.ledger import ACCOUNTS

    s, ledger = result.steps, result.model.ledger
    assert s["day"].nunique() == result.config.run.total_days  # every day was closed
    ledger.check()
    equity = ledger.balance("equity")
    allowance = ledger.balance("allowance") if "allowance" in ACCOUNTS else 0 * equity
    for i, lc in enumerate(result.config.lenders):
        rows = s[s["lender"] == lc.name]
        assert int(rows["profit"].sum()) == int(equity[i] + allowance[i]) - lc.capital_cents


def test_a_fixed_strategy_named_in_config_is_the_plain_run():
    plain = run(**{"run.steps": 40})
    named = run(**{"run.steps": 40, "lenders.0.strategy.kind": "fixed",
                   "lenders.1.strategy.review_every_days": 7})
    assert named.model.conduct is None
    assert "strategy_decisions" not in named.summary
    assert "capital_ratio" not in named.steps.columns
    pd.testing.assert_frame_equal(plain.steps, named.steps)
    pd.testing.assert_frame_equal(plain.loans, named.loans)


APPETITE = {"lenders.1.strategy.kind": "risk_appetite",
            "lenders.1.strategy.review_every_days": 10,
            "lenders.1.strategy.risk_appetite.target": 0.005,
            "lenders.1.strategy.risk_appetite.tolerance": 1.0,
            "lenders.1.strategy.risk_appetite.min_active_loans": 20,
            "lenders.1.strategy.risk_appetite.threshold_step": 0.03,
            "lenders.1.strategy.risk_appetite.min_threshold": 0.07,
            "lenders.1.strategy.risk_appetite.limit_step": 0.2}


def test_a_risk_appetite_lender_tightens_under_high_delinquency_in_bounded_steps():
    risky = run(**FAST_EVENTS, **APPETITE, **{"population.willingness_mean": 0.55})
    safe = run(**FAST_EVENTS, **APPETITE, **{"population.willingness_mean": 0.95})
    decisions = [e for e in risky.summary["strategy_decisions"] if e["lender"] == "scored"]
    assert [e["day"] for e in decisions] == list(range(10, 90, 10))  # its cadence
    tightened = [e for e in decisions if e["action"] == "tighten"]
    # precondition: the 30+ DPD share of its book the day before each tightening, read
    # from the recorded rows, was above the band (target 0.005, +100 %)
    rows = lender_rows(risky, "scored")
    assert len(tightened) >= 2
    for e in tightened:
        day_before = rows.loc[e["day"] - 1]
        share = day_before["dpd30_balance"] / day_before["outstanding"]
        assert share > 0.01
        assert f"dpd30_share {share:.4f} > 0.0100" in e["reason"]
    # the threshold steps down by 0.03 per tightening, never below 0.07, never up
    thresholds = [0.15] + [e["after"]["approval_threshold"] for e in decisions]
    steps = np.diff(thresholds)
    assert np.all(steps <= 1e-12)
    assert np.all((np.abs(steps) < 1e-9) | np.isclose(steps, -0.03)
                  | np.isclose(np.array(thresholds[1:]), 0.07))
    assert min(thresholds) >= 0.07 - 1e-12 and thresholds[-1] < 0.15
    assert risky.model.lenders[1].levers()["approval_threshold"] == thresholds[-1]
    assert rows["approval_threshold"].iloc[-1] == thresholds[-1]  # in steps.parquet too
    # the same lender on a market that repays holds its threshold
    assert all(e["action"] == "hold" for e in safe.summary["strategy_decisions"])
    assert_books_exact(risky)


CAPITAL = {"lenders.0.capital_cents": 2_000_000,
           "lenders.0.infrastructure.fixed_cost_per_day_cents": 0,
           "policy.min_capital_ratio": 0.8}


def test_a_capital_breach_stops_new_lending_until_restored_and_the_books_stay_exact():
    result = run(**CAPITAL)
    rows = lender_rows(result, "rules_only")
    events = result.summary["capital_events"]
    stops = [e for e in events if e["action"] == "lending_stopped"]
    # precondition: the ratio on the books of the day before was under the minimum
    assert stops
    for e in stops:
        before = rows.loc[e["day"] - 1]
        assert before["equity"] < 0.8 * before["outstanding"]
        assert e["capital_ratio"] == pytest.approx(before["capital_ratio"])
        assert e["reason"].startswith("capital ratio") and "< minimum 0.8" in e["reason"]
    stopped = rows[rows["lending_stopped"]]
    assert len(stopped) >= 10
    assert (stopped[["applications", "loans", "disbursed", "acquisition_cost"]] == 0).all().all()
    # lending resumes once loans are repaid and the ratio is back at the minimum
    restored = [e for e in events if e["action"] == "lending_restored"]
    assert restored and all(e["capital_ratio"] >= 0.8 for e in restored)
    assert rows.loc[rows.index > restored[0]["day"], "loans"].sum() > 0
    # the rival, never in breach, lends on every kind of day
    assert not lender_rows(result, "scored")["lending_stopped"].any()
    assert_books_exact(result)


def test_a_minimum_scheduled_for_a_day_binds_from_that_day_only():
    result = run(**{**CAPITAL, "policy.min_capital_ratio": None,
                    "policy.schedule": [{"day": 40, "min_capital_ratio": 0.8}]})
    rows = lender_rows(result, "rules_only")
    # precondition: before day 40 the ratio was already below 0.8, and it lent
    early = rows.loc[:39]
    assert (early["capital_ratio"] < 0.8).any() and early["loans"].sum() > 0
    assert not early["lending_stopped"].any()
    stops = [e["day"] for e in result.summary["capital_events"]
             if e["action"] == "lending_stopped"]
    assert stops and min(stops) >= 40
    assert result.summary["policy"]["changes_applied"] == [
        {"day": 40, "changes": {"min_capital_ratio": 0.8}}]


def test_a_lender_below_its_floor_for_the_stated_days_leaves_the_market():
    result = run(**{"lenders.0.capital_cents": 2_000_000, "policy.min_capital_ratio": 0.8,
                    "policy.capital.floor_ratio": 0.0, "policy.capital.exit_after_days": 10})
    rows = lender_rows(result, "rules_only")
    left = [e for e in result.summary["capital_events"] if e["action"] == "left_market"]
    assert len(left) == 1
    day = left[0]["day"]
    # precondition: its equity was negative (below the floor 0) for the 10 days before
    assert (rows.loc[day - 10:day - 1, "equity"] < 0).all()
    assert not rows.loc[day:, "in_market"].any() and rows.loc[:day - 1, "in_market"].all()
    assert rows.loc[day:, "applications"].sum() == 0 and rows.loc[day:, "loans"].sum() == 0
    assert rows.loc[day:, "principal_repaid"].sum() > 0  # its book runs off
    assert_books_exact(result)


def test_a_lender_makes_no_loan_and_pays_no_platform_before_its_entry_day():
    result = run(**{"lenders.1.entry_day": 30})
    rows = lender_rows(result, "scored")
    before, after = rows.loc[:29], rows.loc[30:]
    assert (before[["applications", "loans", "infrastructure_cost"]] == 0).all().all()
    assert not before["in_market"].any() and after["in_market"].all()
    assert after["loans"].sum() > 0 and after["infrastructure_cost"].sum() > 0
    loans = result.loans
    assert loans.loc[loans["lender"] == 1, "origination_day"].min() >= 30
    assert {"day": 30, "lender": "scored", "kind": "capital", "action": "entered_market",
            "reason": "entry day 30"} in result.summary["capital_events"]
    late = run(**{"run.steps": 20, "lenders.1.entry_day": 30})
    (warning,) = [w for w in late.summary["warnings"]
                  if w["lender"] == "scored" and w["code"] == "zero_loans"]
    assert "lenders.1.entry_day" in warning["message"]


def test_a_registered_strategy_of_ones_own_gets_its_settings_and_its_reason_recorded():
    from simfin.lending import register_strategy
    from simfin.lending.strategies import Decision

    @register_strategy("test_shrinking_limits")
    def make(config):
        class Shrink:
            def review(self, view):
                limit = view.levers["limit_multiplier"] * config.settings["factor"]
                return Decision("shrink", {"limit_multiplier": limit}, f"x{limit:.2f}")
        return Shrink()

    model = MarketModel(small_config(**{"lenders__0__strategy__kind": "test_shrinking_limits",
                                        "lenders__0__strategy__settings": {"factor": 0.5},
                                        "lenders__0__strategy__review_every_days": 5,
                                        "run__steps": 12}))
    for _ in range(12):
        model.step()
    assert [(e["day"], e["action"], e["reason"]) for e in model.conduct.events] == [
        (5, "shrink", "x0.50"), (10, "shrink", "x0.25")]
    assert model.lenders[0].levers()["limit_multiplier"] == 0.25


def test_the_run_folder_shows_the_decisions_in_the_report_steps_and_figures(tmp_path,
                                                                           monkeypatch):
    from matplotlib.figure import Figure

    from simfin.outputs import writer
    from simfin.outputs.figure_style import RunView, events_of
    from simfin.outputs.figures import plot_standing

    result = run(**{**CAPITAL, "run.steps": 40, "lenders.1.entry_day": 10})
    kinds = {(e["day"], e["lender"], e["action"]) for e in result.summary["capital_events"]}
    assert (10, "scored", "entered_market") in kinds  # precondition: events to show
    assert any(action == "lending_stopped" for _, _, action in kinds)
    marks = events_of(result.config, result.summary).conduct
    assert set(marks) == kinds
    from simfin.experiments.events import run_events

    capital_rows = [e for e in run_events(result) if e["kind"] == "capital_event"]
    assert {(e["day"], e["lender"], e["code"]) for e in capital_rows} == kinds  # experiments
    fig = Figure()
    plot_standing(RunView.of(result), fig)
    ratio_axes = fig.axes[0]
    assert len(ratio_axes.lines) >= 2 + len(kinds)  # a ratio per lender, a mark per event
    monkeypatch.setattr(writer, "write_figures", lambda *args, **kwargs: [])  # slow, aside
    writer.write_run(result, tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Strategy decisions and capital events" in report
    assert "| 10 | scored | entered_market | entry day 10 |" in report
    steps = pd.read_parquet(tmp_path / "out" / "steps.parquet")
    assert {"capital_ratio", "lending_stopped", "in_market", "approval_threshold",
            "limit_multiplier", "price_markup"} <= set(steps.columns)


def test_a_strategy_that_never_reviews_is_a_run_health_warning():
    short = run(**{"run.steps": 20, "lenders.1.strategy.kind": "growth"})
    assert "strategy_decisions" in short.summary and not short.summary["strategy_decisions"]
    codes = [(w["code"], w["lender"]) for w in short.summary["warnings"]]
    assert ("strategy_not_reviewed", "scored") in codes
    reviewed = run(**{"run.steps": 20, "lenders.1.strategy.kind": "growth",
                      "lenders.1.strategy.review_every_days": 10})
    assert [e["day"] for e in reviewed.summary["strategy_decisions"]] == [10]
    assert "strategy_not_reviewed" not in [w["code"] for w in reviewed.summary["warnings"]]


def test_a_growth_lender_loosens_towards_its_volume_and_tightens_over_its_loss_limit():
    result = run(**FAST_EVENTS, **{"population.willingness_mean": 0.55,
                                   "lenders.0.strategy.kind": "growth",
                                   "lenders.0.strategy.review_every_days": 10,
                                   "lenders.0.strategy.growth.loans_per_day": 1000.0,
                                   "lenders.0.strategy.growth.loss_limit": 0.005,
                                   "lenders.0.strategy.growth.min_active_loans": 20})
    rows = lender_rows(result, "rules_only")
    decisions = result.summary["strategy_decisions"]
    limit = 1.0
    for e in decisions:  # each decision follows from the lender's own recorded rows
        day_before = rows.loc[e["day"] - 1]
        share = day_before["dpd30_balance"] / max(day_before["outstanding"], 1)
        per_day = rows.loc[e["day"] - 10:e["day"] - 1, "loans"].mean()
        assert f"{per_day:.1f} loans/day < target 1000" in e["reason"]  # the volume read
        if day_before["active_loans"] >= 20 and share > 0.005:
            expected = max(limit - 0.1, 0.5)
            assert e["action"] == "tighten"
        else:
            expected = min(limit + 0.1, 1.5)
            assert e["action"] == ("loosen" if expected != limit else "hold")
        assert e["after"]["limit_multiplier"] == pytest.approx(expected)
        limit = expected
    actions = {e["action"] for e in decisions}
    assert {"loosen", "tighten"} <= actions  # precondition: both branches were taken
    assert result.model.lenders[0].pipeline["product"].limit_multiplier == pytest.approx(limit)


def test_a_strategy_sees_its_own_books_and_public_prices_never_hidden_truth():
    from simfin.agents.conduct import OBSERVED
    from simfin.lending.strategies import StrategyView

    forbidden = ("fraud", "willing", "truth", "is_")
    assert not [c for c in OBSERVED if any(word in c for word in forbidden)]
    assert not [f for f in StrategyView.__dataclass_fields__
                if any(word in f for word in forbidden)]
    model = MarketModel(small_config(**{"lenders__0__strategy__kind": "price_response",
                                        "population__fraud_share": 0.05, "run__steps": 40}))
    for _ in range(40):
        model.step()
    before = model.conduct.view(40, 0)
    assert before.loans > 0 and before.offers.sum() > 0  # precondition: a view with content
    # scramble every hidden truth the market holds, and the recorded fraud counts
    model.population.willingness[:] = np.float32(0.01)
    model.population.is_fraud[:] = ~model.population.is_fraud
    model.book.column("is_fraud")[:] = True
    for row in model.recorder._rows:
        row["fraud_loans"][:] = 10**6
        row["fraud_loss"][:] = 10**9
    after = model.conduct.view(40, 0)
    for name in StrategyView.__dataclass_fields__:
        a, b = getattr(before, name), getattr(after, name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b, name


CO_LENDING = Path(__file__).resolve().parents[1] / "markets" / "co_lending.yaml"
# A capital-light platform (the bank funds every loan and bears the loss) with 30,000
# yuan of equity, under a cap on borrowed funding of 1x net worth.
FACILITATION = {"run.steps": 120, "run.runoff_days": 0, "population.n_consumers": 3_000,
                "lenders.0.capital_cents": 3_000_000,
                "lenders.0.funding.partners": [{"lender": "bank", "share": 1.0,
                                                "funding_apr": 0.1,
                                                "credit_risk": "partner"}],
                "policy.max_funding_multiple": 1.0}
RAISED_ON = 40


def test_a_minimum_own_share_raised_on_a_day_cuts_the_funding_bound_platform_s_volume():
    """Paired seeds: the same market with and without ``min_own_share: 0.3`` from day 40.
    Raised, the platform must fund 30 % of each loan itself; its funding cap binds and it
    stops lending; it books fewer loans after the day than without the rule."""
    after: dict[bool, list[int]] = {False: [], True: []}
    for seed in (1, 2, 3):
        for raised in (False, True):
            schedule = [{"day": RAISED_ON, "min_own_share": 0.3}] if raised else []
            result = simfin.run(CO_LENDING, overrides={**FACILITATION, "run.seed": seed,
                                                       "policy.schedule": schedule})
            loans = result.loans[result.loans["lender"] == 0]
            events = [e for e in result.summary.get("capital_events", [])
                      if e["lender"] == "platform"]
            rows = lender_rows(result, "platform")
            if raised:  # precondition: the rule applied and the platform hit its cap
                assert result.summary["policy"]["changes_applied"] == [
                    {"day": RAISED_ON, "changes": {"min_own_share": 0.3}}]
                assert (loans.loc[loans["origination_day"] >= RAISED_ON, "funder_share"]
                        == 7_000).all()
                stop = events[0]
                assert stop["action"] == "lending_stopped" and stop["day"] > RAISED_ON
                assert "borrowed funding" in stop["reason"] and "> cap 1" in stop["reason"]
                before = rows.loc[stop["day"] - 1]
                assert before["outstanding"] > 2 * before["equity"]  # loans > (1 + 1) x equity
                stopped = rows[rows["lending_stopped"]]
                assert len(stopped) >= 10 and (stopped["loans"] == 0).all()
            else:  # it funds nothing, so its cap never binds
                assert not events and (rows["outstanding"] == 0).all()
            after[raised].append(int((loans["origination_day"] >= RAISED_ON).sum()))
            assert_books_exact(result)
    cut = np.subtract(after[True], after[False])
    assert (cut < 0).all()
    assert -cut.mean() > 3 * np.std(after[False], ddof=1)  # beyond the seeds' spread


@pytest.mark.parametrize("deposit_funded", [False, True])
def test_the_funding_cap_does_not_bind_a_deposit_funded_bank(deposit_funded):
    result = simfin.run(CO_LENDING, overrides={
        "run.runoff_days": 0, "lenders.1.capital_cents": 1_000_000,
        "lenders.1.funding.deposit_funded": deposit_funded,
        "policy.max_funding_multiple": 0.5})
    bank = lender_rows(result, "bank")
    over = bank["outstanding"] > 1.5 * bank["equity"]
    assert over.any()  # precondition: its own book went over the cap
    stops = [e for e in result.summary["capital_events"]
             if e["lender"] == "bank" and e["action"] == "lending_stopped"]
    assert bool(stops) == (not deposit_funded)
    assert bool(bank["lending_stopped"].any()) == (not deposit_funded)
