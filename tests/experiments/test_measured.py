"""The README's measured blocks are regenerated from a run folder; prose stays untouched."""

import json
from pathlib import Path

import pandas as pd
import pytest

from simfin.config import ConfigError
from simfin.experiments.analysis import scenario_table
from simfin.experiments.design import load_experiment
from simfin.experiments.measured import TIMINGS, blocks_in, rewrite, update_readme
from simfin.experiments.plan import plan
from simfin.experiments.shipped import FOLDER, SHIPPED, main

PROSE_TOP = "# Shipped\n\nSome prose *with* `code`.\n\n**`fake_cmp`: does B beat A?**\n"
PROSE_MID = "\nHow to read the plot: bars.\n\n**`fake_sens`**\n"
PROSE_END = "\nThe end, with a trailing <!-- ordinary comment -->.\n"
README = (PROSE_TOP + "<!-- measured:fake_cmp -->\nstale numbers 1.23\n<!-- /measured:fake_cmp -->"
          + PROSE_MID + "<!-- measured:fake_sens -->\n<!-- /measured:fake_sens -->" + PROSE_END)


def fake_run(root: Path) -> Path:
    """A run folder as the shipped runner leaves it: comparison and sensitivity tables."""
    cmp_dir = root / "fake_cmp"
    cmp_dir.mkdir(parents=True)
    # B = A + 10 on every seed (difference resolved); C = A (difference exactly 0).
    rows = [{"lender": lender, "scenario": s, "point": 0, "replicate": r,
             "profit": 100.0 * (r + 1) + shift + (5 if lender == "bank" else 0)}
            for lender in ("bank", "market") for s, shift in (("A", 0), ("B", 10), ("C", 0))
            for r in range(4)]
    scenario_table(pd.DataFrame(rows), ["profit"], "A", "t").to_csv(
        cmp_dir / "comparison.csv", index=False)
    sens_dir = root / "fake_sens"
    sens_dir.mkdir()
    pd.DataFrame({"lender": ["market"], "scenario": ["baseline"], "outcome": ["profit"],
                  "mean": [5.0], "low": [4.0], "high": [6.0], "n": [112],
                  "method": ["t"]}).to_csv(sens_dir / "comparison.csv", index=False)
    pd.DataFrame({"parameter": ["cap", "fraud"], "S1": [0.1, 0.6], "S1_conf": [0.05, 0.2],
                  "ST": [0.15, 0.8], "ST_conf": [0.07, 0.3], "scenario": "baseline",
                  "outcome": "profit"}).to_csv(sens_dir / "sensitivity.csv", index=False)
    (root / TIMINGS).write_text(json.dumps({"fake_cmp": {"runs": 12, "seconds": 42.4}}))
    return root


def test_blocks_are_rewritten_from_the_run_folder_and_prose_is_untouched(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README)
    run = fake_run(tmp_path / "runs")
    missing = update_readme(readme, run, ["fake_cmp", "fake_sens"], "2026-11-29", "CMD")
    text = readme.read_text()
    assert missing == []
    spans = blocks_in(text)
    cmp_block = text[slice(*spans["fake_cmp"])]
    sens_block = text[slice(*spans["fake_sens"])]
    assert "stale numbers" not in text
    assert "Measured 2026-11-29: 12 runs in 42 s" in cmp_block and "`CMD`" in cmp_block
    # Means with intervals per scenario, the paired difference bold (excludes 0), C's 0 not.
    assert "| A | 250 [" in cmp_block
    assert "| B | **10.00 [10.00, 10.00]** |" in cmp_block
    assert "| C | 0 [0, 0] |" in cmp_block
    assert "355" not in cmp_block  # the bank's rows are not the market's
    assert sens_block.index("| fraud | 0.6000 ± 0.2000 | 0.8000 ± 0.3000 |") < \
        sens_block.index("| cap |")  # ordered by total index
    assert "112 runs" in sens_block
    # Outside the markers, every byte is as it was.
    outside = text[:spans["fake_cmp"][0]], text[spans["fake_cmp"][1]:spans["fake_sens"][0]], \
        text[spans["fake_sens"][1]:]
    assert outside == (PROSE_TOP + "<!-- measured:fake_cmp -->",
                       "<!-- /measured:fake_cmp -->" + PROSE_MID
                       + "<!-- measured:fake_sens -->",
                       "<!-- /measured:fake_sens -->" + PROSE_END)
    # Regenerating from the same folder is a fixed point.
    update_readme(readme, run, ["fake_cmp", "fake_sens"], "2026-11-29", "CMD")
    assert readme.read_text() == text


def test_a_block_without_markers_is_reported_and_others_still_written(tmp_path):
    run = fake_run(tmp_path / "runs")
    text, missing = rewrite("intro\n<!-- measured:fake_cmp -->\n<!-- /measured:fake_cmp -->\n",
                            {"fake_cmp": "NEW\n", "fake_sens": "X\n"})
    assert missing == ["fake_sens"]
    assert text == "intro\n<!-- measured:fake_cmp -->\nNEW\n<!-- /measured:fake_cmp -->\n"
    assert run.is_dir()


@pytest.mark.parametrize("bad", [
    "<!-- measured:a -->\nno end\n",
    "<!-- /measured:a -->\n",
    "<!-- measured:a -->\n<!-- measured:b -->\n<!-- /measured:b -->\n<!-- /measured:a -->",
    "<!-- measured:a --><!-- /measured:a --><!-- measured:a --><!-- /measured:a -->",
])
def test_malformed_markers_leave_the_readme_as_it_was(tmp_path, bad):
    readme = tmp_path / "README.md"
    readme.write_text(bad)
    with pytest.raises(ConfigError, match="README: block|closing marker"):
        update_readme(readme, fake_run(tmp_path / "runs"), ["fake_cmp"], "d", "c")
    assert readme.read_text() == bad


def test_an_unfinished_experiment_fails_without_writing(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README)
    with pytest.raises(ConfigError, match="comparison.csv: missing"):
        update_readme(readme, fake_run(tmp_path / "runs"), ["fake_cmp", "nothing_here"],
                      "d", "c")
    assert readme.read_text() == README


def test_shipped_refuses_bad_input_before_running(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "o"), "--readme", str(tmp_path / "none.md"),
                 "c1_scenarios"]) == 2
    assert capsys.readouterr().err.startswith("error: readme: ")
    assert main(["--out", str(tmp_path / "o"), "not_shipped"]) == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", SHIPPED)
def test_the_readme_quotes_every_shipped_experiment_as_its_file_now_defines_it(name):
    """An edited experiment file (sizes, scenarios, outcomes) without a re-measured README
    fails here: the block's run count, scenarios and outcomes must match the file."""
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    spans = blocks_in(text)
    assert name in spans, f"experiments/README.md has no measured block for {name}"
    block = text[slice(*spans[name])]
    experiment, config = load_experiment(FOLDER / f"{name}.yaml")
    assert f": {len(plan(experiment, config).tasks)} runs" in block
    outcomes = experiment.sensitivity_outcomes if experiment.sensitivity else \
        experiment.outcomes
    for outcome in outcomes:
        assert f"{outcome}" in block
    if experiment.sensitivity is None:
        for scenario in experiment.scenarios:
            assert f"| {scenario} |" in block
    else:
        for parameter in experiment.design.parameters:
            assert f"| {parameter} |" in block
