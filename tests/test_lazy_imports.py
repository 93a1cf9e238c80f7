"""scikit-learn (seconds to import) is loaded only when a lender fits a model: not by
``import simfin.config``, not by building a market or deciding on rules during cold start.
Each check runs in a fresh interpreter, where nothing has imported it yet."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import TWO_LENDERS


def loads_sklearn(code: str) -> bool:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\n"
                          "print('sklearn' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_importing_the_config_does_not_load_scikit_learn():
    assert not loads_sklearn("import simfin.config")


def test_a_market_in_cold_start_does_not_load_scikit_learn():
    assert not loads_sklearn(
        "import simfin\n"
        f"model = simfin.MarketModel(simfin.load_config({str(TWO_LENDERS)!r},\n"
        "    {'population.n_consumers': 1000}))\n"
        "assert model.config.lenders[1].risk.model.kind == 'logistic'\n"
        "for _ in range(3):\n"
        "    model.step()\n"
        "assert not model.lenders[1].model_in_use")


def test_fitting_a_model_loads_it():
    assert loads_sklearn(
        "import simfin\n"
        f"result = simfin.run({str(TWO_LENDERS)!r}, steps=70, overrides={{\n"
        "    'population.n_consumers': 2000, 'run.default_dpd': 15,\n"
        "    'lenders.1.risk.model.min_outcomes': 10,\n"
        "    'lenders.1.risk.model.min_bad_outcomes': 1,\n"
        "    'lenders.1.risk.model.validation_share': 0.0,\n"
        "    'lenders.1.risk.model.performance_window_days': 31,\n"
        "    'lenders.1.risk.model.retrain_every_days': 7})\n"
        "assert result.model.lenders[1].model_in_use")


# `simfin --version` and `--help` answer in well under a second because they import only
# typer (with rich and pydantic, which typer uses) and simfin's CLI module: none of these,
# each 0.1-1 s to import (measure with `python -X importtime -m simfin.cli --version`).
HEAVY = ("scipy", "sklearn", "pandas", "matplotlib", "mesa", "dask", "pyarrow", "networkx",
         "solara", "simfin.config", "simfin.model", "simfin.experiments", "simfin.outputs")


def heavy_modules_loaded_by(argv: list[str], exit_code: int = 0) -> set[str]:
    """The HEAVY modules that ``simfin <argv>`` (ending with ``exit_code``) loads in a
    fresh interpreter.
    """
    code = ("import sys\n"
            f"sys.argv = ['simfin', *{argv!r}]\n"
            "from simfin.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as exc:\n"
            f"    assert (exc.code or 0) == {exit_code}, exc.code\n"
            "print('MODULES', *sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    modules = out.stdout.rsplit("MODULES", 1)[1].split()
    return {heavy for heavy in HEAVY for name in modules
            if name == heavy or name.startswith(heavy + ".")}


def test_version_and_help_import_no_heavy_library():
    # Precondition: the check sees a heavy import when there is one.
    assert "simfin.config" in heavy_modules_loaded_by(["config-doc"])
    for argv in (["--version"], ["--help"], ["run", "--help"], ["experiment", "--help"]):
        assert heavy_modules_loaded_by(argv) == set(), argv


def test_a_bad_config_is_refused_before_the_model_and_writers_are_imported(tmp_path):
    # A mistake is reported in a fraction of a second: the config is checked with the
    # config package only, before the model, the runner and the writers are imported.
    bad = tmp_path / "bad.yaml"
    bad.write_text("population: {n_consumers: -1}\n", encoding="utf-8")
    loaded = heavy_modules_loaded_by(["run", str(bad), "--out", str(tmp_path / "out")],
                                     exit_code=2)
    assert "simfin.config" in loaded  # precondition: the config was read and checked
    # (simfin.outputs is its stdlib-only run_folder: the destination is checked too)
    assert not loaded & {"mesa", "pandas", "matplotlib", "pyarrow", "simfin.model"}, loaded
    assert not (tmp_path / "out").exists()
