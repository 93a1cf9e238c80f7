"""The notebooks as committed: outputs stripped, each one listed in the README.

The suite executes every notebook itself (``--nbmake`` in pyproject.toml, ``notebooks`` in
``testpaths``); these tests check what nbmake does not: that a committed notebook carries no
outputs (they would go stale as the market is recalibrated, and bloat the diffs) and that the
README tells a reader what each one teaches.
"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_teaching_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    assert {"01_quickstart", "02_seven_characteristics", "03_risk_control", "04_policy",
            "05_extend", "06_stress_test"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; strip "
                       "them (nbstripout, or nbformat: cell.outputs = [])")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_readme_lists_notebook(path):
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_output_check_catches_an_executed_cell(tmp_path):
    # The check above must fail on a notebook with an output: build one and look.
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                           execution_count=1)]
    notebook.cells.append(cell)
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="outputs"):
        test_committed_notebook_has_no_outputs(path)
