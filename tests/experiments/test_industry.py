"""The industry's roles and funding rules as experiments: the lifetime report (each
lender's profit, the platform's capital per loan booked, the verdict), the own-share rule on
a small capital-bound market (precondition, then direction), bad input, and the README's
measured blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simfin.experiments.design import ExperimentConfig, load_experiment
from simfin.experiments.execution import ExperimentResult, run_experiment
from simfin.experiments.funding_rule import bound_runs, rule_report
from simfin.experiments.industry import capital_per_loan, industry_report, main
from simfin.experiments.measured import blocks_in
from simfin.experiments.plan import plan

ROOT = Path(__file__).resolve().parents[2]
LIFETIME = ROOT / "experiments" / "industry_lifetime.yaml"
OWN_SHARE = ROOT / "experiments" / "own_share_rule.yaml"


def lifetime_result() -> tuple[ExperimentResult, ExperimentConfig]:
    """Three seeds of the shipped lifetime experiment's two scenarios, made up: co-funded,
    the platform's peak own book is 30 % of its book alone; the cash lender loses."""
    experiment, config = load_experiment(LIFETIME)
    rows = []
    for replicate, noise in enumerate([0.0, 4.0, -2.0]):
        for scenario, own, bank in (("co_lending", 0.3, 200.0), ("platform_alone", 1.0,
                                                                    -150.0)):
            common = {"scenario": scenario, "point": 0, "replicate": replicate}
            rows += [{**common, "lender": "bank", "profit": bank + noise, "loans": 40,
                      "peak_outstanding": 900.0},
                     {**common, "lender": "platform", "profit": 100 + noise, "loans": 200,
                      "peak_outstanding": own * (10_000 + 100 * noise)},
                     {**common, "lender": "cash", "profit": -300 + noise, "loans": 10,
                      "peak_outstanding": 50.0}]
    the_plan = plan(ExperimentConfig.model_validate(
        {**experiment.model_dump(), "seeds": [1, 2, 3]}), config)
    return ExperimentResult(pd.DataFrame(rows), {}, the_plan, 6), experiment


def test_capital_per_loan_is_the_ratio_times_the_peak_own_book_per_loan():
    result, _ = lifetime_result()
    co = capital_per_loan(result.results, "co_lending", "platform", 0.105, 1.0)
    alone = capital_per_loan(result.results, "platform_alone", "platform", 0.105, 1.0)
    assert co.to_numpy() == pytest.approx(0.105 * 0.3 * np.array([10_000, 10_400, 9_800]) / 200)
    assert (co < alone).all()


def test_the_lifetime_report_gives_the_verdict():
    result, experiment = lifetime_result()
    report = industry_report(result, experiment, "platform", "bank", 0.105, 1.0)
    assert "the bank is profitable over its loans' lives" in report
    assert "`co_lending` against `platform_alone`: lower" in report
    assert "Lenders that lose over their loans' lives: cash (RMB -299" in report
    assert "| platform_alone | 10,067 [" in report  # the peak own book alone


def test_a_guaranteeing_platform_and_bad_input_are_refused_in_one_line(tmp_path, capsys):
    guarantee = tmp_path / "guarantee.yaml"
    guarantee.write_text(LIFETIME.read_text(encoding="utf-8").replace(
        "config: ../configs/baseline.yaml", f"config: {ROOT / 'configs' / 'baseline.yaml'}")
        .replace("  platform_alone:", "  guaranteed: {lenders.platform.funding.partners.0"
                 ".credit_risk: guarantee}\n  platform_alone:"), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(guarantee), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: scenarios.guaranteed: lenders: platform.funding.partners.0"
                          ".credit_risk: guarantee") and err.count("\n") == 1
    assert main([str(LIFETIME), "--out", str(out), "--capital-ratio", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --capital-ratio")
    assert not out.exists()


def test_a_minimum_own_share_raised_on_a_day_cuts_the_capital_bound_platform_s_volume(
        tmp_path):
    """The shipped experiment at 1,500 consumers for 160 days, its equity scaled with the
    population, the rule on day 60: first its precondition (the rule applied and the
    platform's funding cap stopped it, in every run with the rule and in none without),
    then its direction on every seed."""
    experiment, config = load_experiment(OWN_SHARE)
    small = ExperimentConfig.model_validate({
        **experiment.model_dump(), "seeds": [1, 2, 3], "steps": 160,
        "overrides": {**experiment.overrides, "population.n_consumers": 1500,
                      "lenders.platform.capital_cents": 7_500_000},
        "scenarios": {"no_rule": {}, "own_share_30": {
            "policy.schedule": [{"day": 60, "min_own_share": 0.3}]}},
        "outcomes": ["loans[60:160]", "profit[60:160]"]})
    result = run_experiment(small, config, tmp_path / "out")
    runs = bound_runs(result.events, "platform").set_index("scenario")
    with_rule, without = runs.loc[["own_share_30"]], runs.loc[["no_rule"]]
    assert (with_rule["applied"] == 1).all() and (with_rule["day"] == 60).all()
    assert (with_rule["stops"] > 0).all() and (with_rule["first_stop"] >= 60).all()
    assert (without["stops"] == 0).all()
    loans = result.results[result.results["lender"] == "platform"].pivot(
        index="replicate", columns="scenario", values="loans[60:160]")
    assert (loans["own_share_30"] < loans["no_rule"]).all()
    report = rule_report(result, small, "platform", "bank")
    assert "| own_share_30 | 3 of 3 | 3 of 3 |" in report
    assert "the rule cut `platform`'s `loans[60:160]`" in report


@pytest.mark.parametrize("path, heading", [(LIFETIME, "scenarios x seeds"),
                                           (OWN_SHARE, "scenarios x seeds")])
def test_the_readme_block_is_the_shipped_file_as_it_now_is(path, heading):
    """An edited experiment (sizes, seeds, scenarios) without a re-measured block fails."""
    experiment, config = load_experiment(path)
    text = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    block = text[slice(*blocks_in(text)[experiment.name])]
    assert f": {len(plan(experiment, config).tasks)} runs" in block
    assert f"{heading} {list(experiment.seeds)})" in block
    for scenario in experiment.scenarios:
        assert f"`{scenario}`" in block
