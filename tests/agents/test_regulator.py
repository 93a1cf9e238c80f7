"""The regulator applies exactly what each schedule entry names, on every path a run takes:
``simfin run`` (the CLI), a re-run of the ``config.yaml`` it wrote, and ``simfin.run`` in
Python. The policy in force is read where it acts (the lenders' pricing caps, the
consortium's data source) and compared, day by day, with a plain reading of the entries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import simfin
from simfin.cli import app
from simfin.outputs import writer
from simfin.outputs.figure_style import events_of
from simfin.outputs.report import policy_markdown

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"
DEFAULT_POLICY = {"apr_cap": 0.36, "consortium": False, "max_loan_to_income": None}
"""The documented defaults of ``policy`` (configs/README.md)."""
TINY_STEPS = 8


def market_file(folder: Path, n_consumers: int, steps: int, policy: dict) -> Path:
    """The baseline market at a small size with ``policy``, as a user writes the file; the
    platform funds its loans alone (a market with partners records the own-share rule too:
    the last test of this file).
    """
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    for lender in data["lenders"]:
        lender.pop("funding", None)
    data["population"]["n_consumers"] = n_consumers
    data["run"]["steps"] = steps
    data["run"]["record_applications"] = False
    data["policy"] = policy
    path = folder / "market.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli_run(config: Path, out: Path) -> dict:
    """``simfin run CONFIG --out OUT`` in process; the summary it wrote. The figures are not
    drawn (the slowest part of writing; their marks are tested from ``events_of``).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "write_figures", lambda *args, **kwargs: [])
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def plain_reading(policy: dict, steps: int) -> list[dict]:
    """The policy on each lending day as the config reads: the day-0 fields (defaults where
    not given), then each entry dated that day or before sets the fields it names.
    """
    initial = {**DEFAULT_POLICY, **{k: v for k, v in policy.items() if k != "schedule"}}
    days = []
    for day in range(steps):
        state = dict(initial)
        for entry in policy.get("schedule", []):
            if entry["day"] <= day:
                state.update({k: v for k, v in entry.items() if k != "day"})
        days.append(state)
    return days


def day_by_day(in_force: list[dict], steps: int) -> list[dict]:
    """The recorded spans of the policy in force, one dict per lending day."""
    assert in_force and in_force[0]["from_day"] == 0
    days = []
    for span, following in zip(in_force, [*in_force[1:], {"from_day": steps}], strict=True):
        state = {k: v for k, v in span.items() if k != "from_day"}
        days += [state] * (following["from_day"] - span["from_day"])
    return days


def applied_by_reading(policy: dict, steps: int) -> list[dict]:
    return [{"day": e["day"], "changes": {k: v for k, v in e.items() if k != "day"}}
            for e in policy.get("schedule", []) if e["day"] < steps]


def late_loans(folder: Path, from_day: int) -> pd.DataFrame:
    loans = pd.read_parquet(folder / "loans.parquet")
    return loans[loans["origination_day"] >= from_day]


# -- the two cases of issue 21 --------------------------------------------------------------


def test_a_consortium_entry_keeps_the_cap_through_the_cli_and_its_config(tmp_path: Path):
    # 20 %: under the platform's cold-start price (24 %) and the cash lender's (36 %)
    day, cap = 8, 0.20
    policy = {"apr_cap": cap, "schedule": [{"day": day, "consortium": True}]}
    first = tmp_path / "first"
    summary = cli_run(market_file(tmp_path, 1_500, 20, policy), first)
    assert summary["policy"]["changes_applied"] == [{"day": day,
                                                     "changes": {"consortium": True}}]
    late = late_loans(first, day)
    assert len(late) > 20  # precondition: loans were made after the change
    assert (late["apr"] > cap - 1e-6).any()  # precondition: the cap binds some prices
    assert (late["apr"] <= cap + 1e-6).all()
    written = yaml.safe_load((first / "config.yaml").read_text(encoding="utf-8"))
    assert written["policy"]["schedule"] == [{"day": day, "consortium": True}]
    report = (first / "report.md").read_text(encoding="utf-8")
    assert "Policy on day 0: apr_cap=20%, consortium=off, max_loan_to_income=none." in report
    assert (f"| {day} | consortium=on | apr_cap=20%, consortium=on, max_loan_to_income=none |"
            in report)
    # the re-run of the written config gives the same loans
    second = tmp_path / "second"
    cli_run(first / "config.yaml", second)
    assert (second / "loans.parquet").read_bytes() == (first / "loans.parquet").read_bytes()
    # lifting the cap is still said, and distinct: named with null, it lifts it
    lifted = tmp_path / "lifted"
    lift = {"apr_cap": cap, "schedule": [{"day": day, "consortium": True, "apr_cap": None}]}
    (tmp_path / "lift").mkdir()
    cli_run(market_file(tmp_path / "lift", 1_500, 20, lift), lifted)
    assert (late_loans(lifted, day)["apr"] > cap + 1e-6).any()


def test_a_cap_entry_keeps_the_consortium_open(tmp_path: Path):
    # day 12 at 3,000 consumers: the cash lender (36 %) has booked loans before the change
    day, cap = 12, 0.24
    policy = {"consortium": True, "schedule": [{"day": day, "apr_cap": cap}]}
    path = market_file(tmp_path, 3_000, 24, policy)
    summary = cli_run(path, tmp_path / "out")
    assert summary["policy"]["changes_applied"] == [{"day": day, "changes": {"apr_cap": cap}}]
    spans = summary["policy"]["in_force"]
    assert [s["consortium"] for s in spans] == [True, True]
    assert [(s["from_day"], s["apr_cap"]) for s in spans] == [(0, 0.36), (day, cap)]
    loans = pd.read_parquet(tmp_path / "out" / "loans.parquet")
    early = loans[loans["origination_day"] < day]
    assert (early["apr"] > cap + 1e-6).any()  # precondition: prices above the new cap before
    late = late_loans(tmp_path / "out", day)
    assert len(late) > 20  # precondition: loans were made after the change
    assert (late["apr"] <= cap + 1e-6).all()
    # in Python, through the re-validating path (steps given): the source stays open
    result = simfin.run(path, steps=24)
    source = result.model.sources["consortium"]
    assert source.active and source.members.all()
    assert result.model.regulator.consortium is True


# -- what the regulator records -------------------------------------------------------------


def test_the_record_is_what_the_lenders_enforce_each_day():
    schedule = [{"day": 2, "max_loan_to_income": 3.0}, {"day": 4, "consortium": True},
                {"day": 4, "apr_cap": None}, {"day": 6, "apr_cap": 0.18, "consortium": False},
                {"day": 50, "apr_cap": 0.3}]
    cfg = simfin.load_config(BASELINE, {"population.n_consumers": 300, "run.steps": 8,
                                        "lenders.platform.funding.partners": [],
                                        "policy.schedule": schedule})
    model = simfin.MarketModel(cfg)
    regulator = model.regulator
    seen = []
    for _ in range(8):
        model.step()
        stages = [stage for lender in model.lenders for stage in lender.pricers]
        seen.append({"apr_cap": stages[0].apr_cap, "consortium":
                     model.sources["consortium"].active,
                     "max_loan_to_income": stages[0].max_loan_to_income})
        assert all((s.apr_cap, s.max_loan_to_income) == (stages[0].apr_cap,
                                                           stages[0].max_loan_to_income)
                   for s in stages)
    assert seen == plain_reading({"schedule": schedule}, 8)
    assert day_by_day(regulator.in_force, 8) == seen
    assert regulator.changes_applied == applied_by_reading({"schedule": schedule}, 8)
    assert regulator.initial == DEFAULT_POLICY
    # the figures mark each applied entry with the fields it changed
    summary = {"lenders": {}, "policy": regulator.record()}
    assert events_of(cfg, summary).policy == [
        (2, "max_loan_to_income=3"), (4, "consortium=on"), (4, "apr_cap=none"),
        (6, "apr_cap=18%, consortium=off")]
    # the report: the policy on day 0, a row per applied entry, the entry never reached
    text = policy_markdown(cfg, summary)
    assert text.startswith("Policy on day 0: apr_cap=36%, consortium=off, "
                           "max_loan_to_income=none.")
    assert ("| 4 | apr_cap=none | apr_cap=none, consortium=on, max_loan_to_income=3 |"
            in text)
    assert ("| 6 | apr_cap=18%, consortium=off | apr_cap=18%, consortium=off, "
            "max_loan_to_income=3 |") in text
    assert text.endswith("(dated after the run's last lending day, day 7): day 50: "
                         "apr_cap=30%.")


# -- the property: every path gives the plain reading ----------------------------------------

ENTRY = st.fixed_dictionaries({}, optional={
    "apr_cap": st.sampled_from([None, 0.18, 0.24, 0.5]),
    "consortium": st.booleans(),
    "max_loan_to_income": st.sampled_from([None, 0.5, 3.0]),
}).filter(bool)
POLICY = st.fixed_dictionaries({}, optional={
    "apr_cap": st.sampled_from([None, 0.3]), "consortium": st.booleans(),
    "max_loan_to_income": st.sampled_from([None, 2.0])})
# entries dated up to two days past the run: those are never applied
SCHEDULE = st.lists(st.tuples(st.integers(0, TINY_STEPS + 2), ENTRY), max_size=4).map(
    lambda items: [{"day": day, **entry} for day, entry in sorted(items, key=lambda i: i[0])])


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(policy=POLICY, schedule=SCHEDULE)
def test_every_path_enforces_the_plain_reading_day_by_day(policy, schedule, tmp_path_factory):
    policy = {**policy, "schedule": schedule}
    expected = plain_reading(policy, TINY_STEPS)
    applied = applied_by_reading(policy, TINY_STEPS)
    folder = tmp_path_factory.mktemp("market")
    path = market_file(folder, 200, TINY_STEPS, policy)
    first = cli_run(path, folder / "first")
    written = yaml.safe_load((folder / "first" / "config.yaml").read_text(encoding="utf-8"))
    assert written["policy"]["schedule"] == schedule
    rerun = cli_run(folder / "first" / "config.yaml", folder / "second")
    python = simfin.run(path, steps=TINY_STEPS)  # steps given: the config is re-validated
    for record in (first["policy"], rerun["policy"], python.summary["policy"]):
        assert day_by_day(record["in_force"], TINY_STEPS) == expected
        assert record["changes_applied"] == applied
    assert python.model.regulator.changes_applied == applied


def test_the_own_share_and_funding_rules_are_recorded_only_where_a_run_has_them():
    """A run without partners or the rules records the levers it always did; one with
    partners records the own share in force (and the funding cap when set), span by span,
    and enforces it: no partner's share above 1 - the minimum from its day on."""
    co_lending = Path(__file__).resolve().parents[1] / "markets" / "co_lending.yaml"
    plain = simfin.run(BASELINE, steps=TINY_STEPS, overrides={
        "population.n_consumers": 1_000, "run.record_applications": False,
        "lenders.platform.funding.partners": []})
    assert set(plain.summary["policy"]["initial"]) == set(DEFAULT_POLICY)
    shipped = simfin.run(BASELINE, steps=1, overrides={"population.n_consumers": 300})
    assert shipped.summary["policy"]["initial"] == {**DEFAULT_POLICY, "min_own_share": None}
    result = simfin.run(co_lending, overrides={
        "run.steps": 20, "run.runoff_days": 0, "policy.max_funding_multiple": 5.0,
        "policy.schedule": [{"day": 10, "min_own_share": 0.4}]})
    record = result.summary["policy"]
    assert record["initial"] == {**DEFAULT_POLICY, "min_own_share": None,
                                 "max_funding_multiple": 5.0}
    assert [(s["from_day"], s["min_own_share"]) for s in record["in_force"]] == [
        (0, None), (10, 0.4)]
    loans = result.loans[result.loans["funder"] >= 0]
    late = loans["origination_day"] >= 10
    assert late.any() and (~late).any()  # precondition: co-funded loans on both sides
    assert (loans.loc[~late, "funder_share"] == 7_000).all()
    assert (loans.loc[late, "funder_share"] == 6_000).all()
