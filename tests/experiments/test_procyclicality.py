"""Pro-cyclicality: rivals that tighten in a downturn, the needs they decline, and the lender
that stays fixed (experiments/procyclicality.yaml, simfin.experiments.procyclicality)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simfin.experiments.design import load_experiment
from simfin.experiments.measured import blocks_in
from simfin.experiments.plan import plan
from simfin.experiments.procyclicality import Design, design, main, run_measures
from simfin.experiments.stress import StressCells

from .files import BASELINE, write

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "experiments"
SHIPPED = FOLDER / "procyclicality.yaml"
RESPOND = "lenders.bank.strategy.kind: risk_appetite, lenders.platform.strategy.kind: " \
          "risk_appetite"


def test_the_shipped_file_loads_as_a_two_by_two_with_one_fixed_lender():
    experiment, config = load_experiment(SHIPPED)
    d = design(experiment, plan(experiment, config), None)
    assert d.fixed == "cash" and d.rivals == ["bank", "platform"]
    assert d.baseline == "rivals_fixed" and d.cells.paths == ["steady", "severe"]
    assert d.cells.strategies[0] == "rivals_fixed" and len(d.cells.strategies) >= 2
    assert d.window == (240, 480) and d.start == 240 and d.reapply_days == 3
    assert len(experiment.seeds) >= 6
    # loans booked in the window have 60 days or more on book before the run ends
    assert experiment.steps - d.window[1] >= 60


def test_the_bank_file_keeps_the_bank_fixed_on_the_same_market_path_and_seeds():
    experiment, config = load_experiment(FOLDER / "procyclicality_bank.yaml")
    d = design(experiment, plan(experiment, config), None)
    assert d.fixed == "bank" and d.rivals == ["platform", "cash"]
    assert d.products == ["instalment", "cash"]
    main_file, _ = load_experiment(SHIPPED)
    assert (experiment.overrides, experiment.steps, experiment.seeds, experiment.outcomes) \
        == (main_file.overrides, main_file.steps, main_file.seeds, main_file.outcomes)


def _design() -> Design:
    cells = StressCells(["fixed", "respond"], ["steady", "severe"], {})
    return Design(cells, "cash", ["bank", "platform"], "fixed", (10, 20), 10, 3,
                  ["bank", "platform", "cash"], ["cash"])


def _apps(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["lender", "day", "consumer", "approved", "taken_up",
                                        "bad"])
    frame["scenario"], frame["product"], frame["term_days"] = "instant_cash", "cash", 30
    frame["true_pd"], frame["nth"] = 0.1, 0
    return frame


def test_a_declined_need_is_followed_to_the_fixed_lender_within_the_reapply_days():
    apps = _apps([
        ("platform", 12, 1, False, False, False),  # declined ...
        ("cash", 12, 1, True, True, True),         # ... booked the same day: counted
        ("platform", 12, 2, False, False, False),
        ("bank", 13, 2, False, False, False),      # declined twice ...
        ("cash", 14, 2, True, True, False),        # ... one loan, counted once
        ("platform", 12, 3, False, False, False),
        ("cash", 16, 3, True, True, False),        # 4 days later: not a re-application
        ("platform", 5, 4, False, False, False),   # declined before the window
        ("cash", 6, 4, True, True, False),
        ("platform", 15, 5, False, False, False),
        ("cash", 16, 5, False, False, False),      # applied, declined by cash too
        ("platform", 15, 6, True, True, False),    # approved: not a declined need
        ("cash", 15, 6, True, False, False),
    ])
    events = pd.DataFrame({"kind": ["strategy_decision"] * 3, "lender": ["platform"] * 3,
                           "day": [0, 10, 15], "code": ["loosen", "tighten", "tighten"]})
    out = run_measures(apps, events, _design())
    assert out["cash.applied"] == 3 and out["cash.approved"] == 2
    assert out["cash.from_rivals"] == 2 and out["cash.from_rivals_dpd30"] == 1
    assert out["platform.tightenings"] == 2 and out["platform.net_loosening_before"] == 1
    assert out["platform.approvals"] == 1 and out["bank.approvals"] == 0
    assert out["platform.approvals_shared"] == 1  # a cash loan: the cash lender sells it
    # the fixed lender's own loans booked in the window (days 10-19): consumers 1, 2, 3
    assert out["cash.loans"] == 3 and out["cash.dpd30_rate"] == pytest.approx(1 / 3)


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, capsys):
    text = f"""
name: tiny_procyclicality
config: {BASELINE}
overrides: {{population.n_consumers: 500, macro.start_day: 5}}
steps: 20
seeds: [1]
scenarios:
  rivals_fixed__steady: {{}}
  rivals_fixed__severe: {{macro.scenario: severe}}
  rivals_respond__steady: {{{RESPOND}}}
  rivals_respond__severe: {{{RESPOND}, macro.scenario: severe}}
outcomes: ["loans[5:15]"]
"""
    out = tmp_path / "out"
    no_window = write(tmp_path, text.replace('"loans[5:15]"', "loans"), "a.yaml")
    assert main([str(no_window), "--out", str(out), "--executor", "local"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: outcomes: ") and err.count("\n") == 1
    file = write(tmp_path, text, "b.yaml")
    assert main([str(file), "--out", str(out), "--lender", "platform"]) == 2
    assert capsys.readouterr().err.startswith("error: --lender: 'platform' is not fixed")
    assert not out.exists()


SMALL = f"""
name: small_procyclicality
config: {BASELINE}
overrides: {{population.n_consumers: 3000, macro.start_day: 240,
             lenders.platform.risk.model.min_outcomes: 100,
             lenders.platform.risk.model.min_bad_outcomes: 20}}
steps: 480
seeds: [1, 2, 3]
scenarios:
  rivals_fixed__steady: {{}}
  rivals_fixed__severe: {{macro.scenario: severe}}
  rivals_respond__steady: {{{RESPOND}}}
  rivals_respond__severe: {{{RESPOND}, macro.scenario: severe}}
outcomes: ["loans[240:420]"]
"""
README = "<!-- measured:small_procyclicality -->\nstale\n<!-- /measured:small_procyclicality -->\n"


def test_rivals_tighten_under_severe_and_their_declined_needs_borrow_from_the_fixed_lender(
        tmp_path: Path, capsys):
    file = write(tmp_path, SMALL)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    out = tmp_path / "out"
    assert main([str(file), "--out", str(out), "--readme", str(readme)]) == 0
    frame = pd.read_csv(out / "procyclicality.csv").set_index(["scenario", "replicate"])
    report = capsys.readouterr().out
    # preconditions: the path applied, every lender lent, the model decides under the path
    assert "the path applied (the stressed run differs from its steady pair) in 6 of 6" \
        in report
    events = pd.read_parquet(out / "events.parquet")
    assert (events.loc[events["kind"] == "loans_made", "count"] > 0).all()
    live = events[(events["kind"] == "model_live") & (events["lender"] == "platform")]
    assert (live["day"] <= 240).all() and len(live) == 12  # it decides from day 240

    def change(arm: str, measure: str) -> np.ndarray:
        return (frame.loc[f"{arm}__severe", measure]
                - frame.loc[f"{arm}__steady", measure]).to_numpy()

    # (1) the risk-appetite platform tightens more under severe than under steady (never
    # less, on any seed), the fixed one never reviews; its approvals fall under severe, on
    # every seed and in both arms, and by more when it responds (on average: at this size
    # one seed of three goes the other way; the shipped experiment resolves it on 8 of 8)
    tightening = change("rivals_respond", "platform.tightenings")
    assert (tightening >= 0).all() and tightening.sum() > 0
    assert (change("rivals_fixed", "platform.tightenings") == 0).all()
    assert (change("rivals_fixed", "platform.approvals") < 0).all()
    assert (change("rivals_respond", "platform.approvals") < 0).all()
    assert change("rivals_respond", "platform.approvals").mean() \
        < change("rivals_fixed", "platform.approvals").mean()
    # (2) needs the rivals declined apply to the cash lender and borrow there, in every run
    assert (frame["cash.applied"] > frame["cash.from_rivals"]).all()
    assert (frame["cash.from_rivals"] > 0).all()
    # (3) the cash lender's own rise: with fixed rivals, the borrowers it books under severe
    # are riskier (answer key) on average over the seeds (at this size not on every one:
    # on the default market with the bank's app, seed 3 books a slightly safer severe
    # window). Its rise beyond that with responding rivals is not asserted: the shipped
    # experiment does not resolve it (experiments/README.md).
    assert change("rivals_fixed", "cash.true_pd").mean() > 0
    text = readme.read_text()
    assert "stale" not in text and "Difference-in-differences" in text


@pytest.mark.parametrize("name", ["procyclicality", "procyclicality_bank"])
def test_the_shipped_block_matches_the_file_and_the_verdict_quotes_it(name: str):
    """An edited experiment file without a re-measured block fails here, and so does a
    verdict quoting a number its block no longer holds."""
    experiment, config = load_experiment(FOLDER / f"{name}.yaml")
    d = design(experiment, plan(experiment, config), None)
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    start, end = blocks_in(text)[name]
    block = text[start:end]
    runs = len(d.cells.strategies) * len(d.cells.paths) * len(experiment.seeds)
    assert f"{runs} runs ({len(d.cells.strategies)} arms x 2 paths x seeds " \
           f"{experiment.seeds})" in block
    assert f"the path starts on day {d.start}; loans booked on days {d.window[0]}-" \
           f"{d.window[1] - 1}" in block
    for arm in d.cells.strategies:
        assert f"| {arm} |" in block
    verdict = text[end:].split("*Verdict on this market:*", 1)[1].split("\n**`", 1)[0]
    verdict = verdict.split("\n## ", 1)[0]
    quoted = re.findall(r"-?\d[\d,]*\.\d+|-?\d{1,3}(?:,\d{3})+", verdict)
    assert len(quoted) > 5  # precondition: the verdict quotes the measurement
    for number in quoted:
        assert number in block, number
