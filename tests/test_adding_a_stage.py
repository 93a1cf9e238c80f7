"""docs/adding_a_stage.md's worked example runs as written, from outside the package,
through the registry and a config section only, and changes the lender's decisions."""

from __future__ import annotations

import re
from pathlib import Path

import simfin
from simfin.lending import STAGES

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding_a_stage.md"


def doc_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return next(b for b in blocks if "register_stage" in b)


def test_the_readme_links_the_page():
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/adding_a_stage.md" in readme


def test_doc_example_adds_a_stage_that_changes_decisions(monkeypatch, capsys):
    monkeypatch.chdir(DOC.parents[1])
    namespace: dict = {}
    exec(compile(doc_example(), "docs/adding_a_stage.md", "exec"), namespace)  # noqa: S102
    with_stage = namespace["result"]
    assert "ask_to_income_cap" in STAGES
    names = with_stage.model.lenders[0].pipeline.names
    assert names.index("ask_to_income_cap") == names.index("data") - 1
    # the same market and seed without the extra step
    without = simfin.run("configs/baseline.yaml", steps=60, seed=3,
                         overrides={"population.n_consumers": 5000})
    ours, theirs = (r.summary["lenders"]["bank"] for r in (with_stage, without))
    assert theirs["approvals"] > 0 and "ASK_INCOME" not in theirs["declines_by_reason"]
    assert ours["declines_by_reason"]["ASK_INCOME"] > 0
    assert ours["approvals"] < theirs["approvals"]
    # declined before the data step: fewer paid queries
    assert ours["data_cost"] < theirs["data_cost"]
    assert "ASK_INCOME" in capsys.readouterr().out
