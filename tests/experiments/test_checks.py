"""A strategist can check an experiment: events and preconditions per run, outcome names
checked before any run, windows over days, money in yuan, a missing config reported as one.
"""

import subprocess

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.config import ConfigError
from simfin.experiments import load_experiment, plan, run_experiment
from simfin.experiments.events import precondition_table
from simfin.lending.ledger import KINDS
from simfin.outputs.experiments import write_experiment

from .files import BASELINE, SIMFIN, write

LATE_CAP = """
name: late_cap
config: BASELINE
overrides: {population.n_consumers: 1500, run.default_dpd: 15, run.writeoff_dpd: 30}
steps: STEPS
replicates: 2
scenarios:
  base: {}
  late_cap: {policy.schedule: [{day: 180, apr_cap: 0.24}]}
outcomes: OUTCOMES
"""


def late_cap(steps: int, outcomes: str) -> str:
    """The day-180 cap of 24 % against the baseline, at 1,500 consumers."""
    return (LATE_CAP.replace("BASELINE", str(BASELINE)).replace("STEPS", str(steps))
            .replace("OUTCOMES", outcomes))


def met(events: pd.DataFrame, scenario: str, precondition: str) -> tuple[int, int]:
    table = precondition_table(events, ["base", "late_cap"]).set_index(
        ["scenario", "precondition"])
    row = table.loc[(scenario, precondition)]
    return int(row["met"]), int(row["applicable"])


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """The day-180 change in a 30-day run, through the CLI (its report and stderr)."""
    tmp = tmp_path_factory.mktemp("short")
    path = write(tmp, late_cap(30, '[approval_rate, profit, disbursed, "approval_rate[0:30]", '
                                   '"profit[0:30]", "profit[0:15]"]'))
    out = tmp / "out"
    done = subprocess.run([*SIMFIN, "experiment", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp)
    return path, out, done


YEAR_OUTCOMES = '[yield, "yield[0:180]", "yield[180:365]", approval_rate]'


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The same change in a 365-day run, with the window after the change."""
    tmp = tmp_path_factory.mktemp("year")
    experiment, config = load_experiment(write(tmp, late_cap(365, YEAR_OUTCOMES)))
    return run_experiment(experiment, config, tmp / "out")


def test_a_change_after_the_runs_end_is_flagged(short):
    _, out, done = short
    assert done.returncode == 0, done.stderr
    events = pd.read_parquet(out / "events.parquet")
    late = events[events["scenario"] == "late_cap"]
    # Scheduled in every run of the scenario, applied in none.
    assert (late["kind"] == "policy_scheduled").sum() == 2
    assert (late["kind"] == "policy_applied").sum() == 0
    assert met(events, "late_cap", "policy_applied") == (0, 2)
    assert met(events, "base", "policy_applied") == (0, 0)  # nothing scheduled: n/a
    assert met(events, "late_cap", "loans_made") == (2, 2)
    report = (out / "comparison.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| late_cap | 2 |"))
    assert "**0 of 2** ⚠" in row
    assert "apr_cap=0.24 on day 180 never applied" in report
    assert "scenario late_cap: scheduled policy changes applied in 0 of 2 runs" in done.stderr
    csv = pd.read_csv(out / "preconditions.csv")
    assert len(csv) == 2 * 3


def test_each_run_keeps_its_warnings_model_day_and_loans(short):
    _, out, _ = short
    events = pd.read_parquet(out / "events.parquet")
    results = pd.read_parquet(out / "results.parquet")
    assert set(events["run"]) == set(results["run"])  # every run kept its events
    run = events[events["run"] == "base__p00000__r0000"]
    warnings = run[run["kind"] == "warning"]
    # 30 days: no loan is old enough to be written off, and no model goes live.
    assert "losses_not_emerged" in set(warnings["code"])
    assert set(warnings.loc[warnings["code"] == "model_not_live", "lender"]) == {"platform"}
    assert warnings["detail"].str.len().min() > 20  # the message itself
    live = run[run["kind"] == "model_live"]
    assert list(live["lender"]) == ["platform"] and live["day"].isna().all()
    loans = run[run["kind"] == "loans_made"].set_index("lender")["count"]
    assert set(loans.index) == {"bank", "platform", "cash"} and loans.sum() > 0


def test_money_outcomes_are_yuan_of_the_runs_ledger(short):
    path, out, _ = short
    results = pd.read_parquet(out / "results.parquet")
    experiment, config = load_experiment(path)
    task = next(t for t in plan(experiment, config).tasks if t.scenario == "base")
    run = simfin.run(task.config, steps=task.steps, seed=task.seed, overrides=task.overrides)
    ledger = run.model.ledger
    flows = np.sum(ledger.history, axis=0)
    capital = np.array([lender.capital_cents for lender in run.config.lenders])
    # profit (before provisions) is the change in equity with the allowance added back
    profit_cents = ledger.balance("equity") + ledger.balance("allowance") - capital
    rows = results[results["run"] == task.key].set_index("lender")
    for i, lender in enumerate(run.summary["lenders"]):
        assert rows.loc[lender, "profit"] == profit_cents[i] / 100
        assert rows.loc[lender, "disbursed"] == flows[i, KINDS.index("disbursed")] / 100
    assert rows.loc["market", "profit"] == profit_cents.sum() / 100
    assert "| profit (yuan) |" in (out / "comparison.md").read_text()
    assert (rows["approval_rate"] < 1).all()  # a rate is not divided


def test_a_window_over_the_whole_run_is_the_whole_run(short):
    _, out, _ = short
    results = pd.read_parquet(out / "results.parquet")
    assert (results["approval_rate[0:30]"] == results["approval_rate"]).all()
    assert (results["profit[0:30]"] == results["profit"]).all()
    assert (results["profit[0:15]"] != results["profit"]).any()  # a window is a window


def test_a_change_inside_the_run_is_met_and_its_window_shows_it(year):
    events = year.events
    # Precondition first: the change was applied on day 180 in every run.
    assert met(events, "late_cap", "policy_applied") == (2, 2)
    applied = events[events["kind"] == "policy_applied"]
    assert list(applied["day"]) == [180, 180] and set(applied["detail"]) == {"apr_cap=0.24"}
    assert met(events, "late_cap", "loans_made") == (2, 2)
    # The platform's risk-based prices of its riskier grades reach the 36 % cap: the 24 % cap
    # lowers them from day 180. (Not the cash lender: at 1,500 consumers it books a few dozen
    # loans a year, too few for its yield windows to order on every seed.)
    platform = year.results[year.results["lender"] == "platform"]
    base = platform[platform["scenario"] == "base"].set_index("replicate")
    late = platform[platform["scenario"] == "late_cap"].set_index("replicate")
    before = late["yield[0:180]"] - base["yield[0:180]"]
    after = late["yield[180:365]"] - base["yield[180:365]"]
    whole = late["yield"] - base["yield"]
    assert (before == 0).all()  # same seeds, same policy: identical until the change
    # Its yield falls after the change, and the whole year dilutes the fall.
    assert (after < 0).all() and (after < whole).all() and (whole < 0).all()


def test_a_misspelt_outcome_fails_before_any_run(tmp_path):
    path = write(tmp_path, late_cap(30, "[aprovals, profit]"))
    done = subprocess.run([*SIMFIN, "experiment", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: outcomes: 'aprovals' is not an outcome a run "
                                   "produces; did you mean 'approvals'?")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("outcomes", "message"), [
    ('["approval_rate[180:365]"]', r"'approval_rate\[180:365\]': the window is not inside "
                                   r"the run \(scenario base runs 30 days, days 0 to 29"),
    ("[{outcome: approval_rate, window: [180, 365]}]", r"window is not inside the run"),
    ('["default_rate[0:20]"]', r"default_rate needs the loan table or the whole run"),
    ('["profit[20:10]"]', r"window's end \(10\) must be after its start \(20\)"),
    ("[by_chanel.social.cac]", r"did you mean 'by_channel.social.cac'\?"),
])
def test_bad_outcomes_are_refused_in_one_line(tmp_path, outcomes, message):
    with pytest.raises(ConfigError, match=message) as error:
        load_experiment(write(tmp_path, late_cap(30, outcomes)))
    assert "\n" not in str(error.value)


def test_a_window_in_yaml_style_is_the_same_outcome(tmp_path):
    text = late_cap(30, "[{outcome: approval_rate, window: [10, 30]}, profit]")
    experiment, _ = load_experiment(write(tmp_path, text))
    assert experiment.outcomes == ["approval_rate[10:30]", "profit"]


def test_a_missing_config_is_reported_as_a_missing_file(tmp_path):
    text = late_cap(30, "[profit]").replace(f"config: {BASELINE}",
                                            "config: ../configs/nope.yaml")
    with pytest.raises(ConfigError, match=r"^config: \.\./configs/nope\.yaml: file not "
                                          r"found \(looked for .*nope\.yaml"):
        load_experiment(write(tmp_path, text))


def test_reports_of_a_year_name_units_and_windows(year, tmp_path):
    experiment, _ = load_experiment(write(tmp_path, late_cap(365, YEAR_OUTCOMES)))
    report = write_experiment(year, experiment, tmp_path)
    assert "| scenario | yield | yield[0:180] | yield[180:365] | approval_rate |" in report
    row = next(line for line in report.splitlines() if line.startswith("| late_cap | 2 |"))
    assert "| 2 of 2 |" in row  # the policy change was applied in both runs
    assert (tmp_path / "events.parquet").is_file()
    assert (tmp_path / "figures" / "forest_market.png").is_file()


CHALLENGER = """
name: challenger
config: BASELINE
overrides: {population.n_consumers: 1500}
steps: 30
replicates: 1
scenarios:
  base: {}
  tested: {lenders.0.challenger: {share: 0.2}}
outcomes: [champion_challenger.challenger.loans, profit]
"""


def test_an_outcome_only_one_scenario_produces_is_an_outcome(tmp_path):
    # Precondition: a day of a small market with a challenger books it no loan, so its
    # champion_challenger field must follow from the config, not from a challenger loan.
    one_day = simfin.run(BASELINE, steps=1, overrides={
        "population.n_consumers": 200, "run.runoff_days": 0,
        "run.record_applications": False, "lenders.0.challenger": {"share": 0.2}})
    first, *others = one_day.summary["lenders"].values()
    assert first["champion_challenger"]["challenger"]["loans"] == 0
    assert all("champion_challenger" not in lender for lender in others)
    experiment, _ = load_experiment(write(tmp_path, CHALLENGER.replace("BASELINE",
                                                                       str(BASELINE))))
    assert experiment.outcomes == ["champion_challenger.challenger.loans", "profit"]


def test_a_scenario_too_big_for_the_memory_is_refused_before_any_run(tmp_path,
                                                                      monkeypatch):
    from simfin import memory

    available = 2**30
    big = simfin.load_config(BASELINE, {"population.n_consumers": 10_000_000,
                                        "run.steps": 30})
    small = simfin.load_config(BASELINE, {"population.n_consumers": 1500, "run.steps": 30})
    # Precondition: the scenario's runs would each be refused, the base's would not.
    assert memory.estimate(big).peak_bytes > available > memory.estimate(small).peak_bytes
    monkeypatch.setattr(memory, "available_bytes", lambda: available)
    monkeypatch.delenv(memory.MEMORY_CHECK_ENV, raising=False)
    text = late_cap(30, "[profit]").replace(
        "late_cap: {policy.schedule: [{day: 180, apr_cap: 0.24}]}",
        "huge: {population.n_consumers: 10000000}")
    with pytest.raises(ConfigError, match=r"^scenarios\.huge: population\.n_consumers: "
                                          r"10,000,000 consumers for 30 days need about"):
        load_experiment(write(tmp_path, text))


def test_a_model_never_live_and_a_lender_without_loans_are_named():
    from simfin.experiments.events import checks, not_met

    def run(key: str, live: int | None, loans: int) -> list[dict]:
        return [{"run": key, "scenario": "s", "kind": "model_live", "lender": "bank",
                 "day": live},
                {"run": key, "scenario": "s", "kind": "loans_made", "lender": "bank",
                 "count": loans}]

    events = pd.DataFrame(run("a", None, 0) + run("b", 40, 5)).astype(
        {"day": "Int64", "count": "Int64"})
    assert checks(events[events["run"] == "a"]) == {
        "policy_applied": None, "models_live": False, "loans_made": False}
    assert checks(events[events["run"] == "b"]) == {
        "policy_applied": None, "models_live": True, "loans_made": True}
    table = precondition_table(events, ["s"]).set_index("precondition")
    assert table.loc["models_live", ["met", "applicable"]].tolist() == [1, 2]
    sentences = not_met(precondition_table(events, ["s"]), events)
    assert len(sentences) == 2
    assert "not met: bank's model never live" in sentences[0]
    assert "not met: bank made no loans" in sentences[1]
