"""docs/adding_a_data_source.md's worked example runs as written, from outside the package,
through the registry and config alone, and changes the lender's decisions and costs; its
bit is named in applications.parquet beside the built-in ones; a plug-in named in a
config's ``plugins:`` is imported before the lenders name its source (``simfin run``)."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.cli import main
from simfin.config import ConfigError
from simfin.lending import SOURCES
from simfin.lending.data_sources import source_layout
from simfin.outputs import writer

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "adding_a_data_source.md"
PRICES = {"id_registry": 20, "telecom": 30}  # the cash lender's sources in the example


def doc_blocks() -> tuple[str, str]:
    """The plug-in module and the run of the worked example."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    plugin = next(b for b in blocks if "register_source" in b)
    run = next(b for b in blocks if "simfin.run" in b)
    return plugin, run


@pytest.fixture(scope="module")
def example() -> tuple[simfin.RunResult, str]:
    """The example's run, executed as written from the repository's folder; and what it
    printed."""
    plugin, run = doc_blocks()
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        exec(compile(plugin, "docs/adding_a_data_source.md", "exec"), namespace)  # noqa: S102
        from io import StringIO
        printed = StringIO()
        patch.setattr(sys, "stdout", printed)
        exec(compile(run, "docs/adding_a_data_source.md", "exec"), namespace)  # noqa: S102
    return namespace["result"], printed.getvalue()


def test_the_readme_links_the_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/adding_a_data_source.md" in readme


def test_the_docs_test_runs_the_page():
    from tests.test_docs import DOCUMENTS, items

    assert "docs/adding_a_data_source.md" in DOCUMENTS
    runnable = [i for i in items("docs/adding_a_data_source.md") if i.illustrative is None]
    assert {i.kind for i in runnable} == {"python"} and len(runnable) == 2


def test_the_example_adds_a_source_that_declines_applicants_and_costs_its_price(example):
    result, printed = example
    assert "telecom" in SOURCES and "telecom_months_on_number" in SOURCES.field_names()
    config, apps = result.config, result.applications
    names = [lender.name for lender in config.lenders]
    cash = apps[apps["lender"] == names.index("cash")]
    others = apps[apps["lender"] != names.index("cash")]
    bit = 1 << source_layout(config).index("telecom")
    queried = (cash["data_queried"].to_numpy() & bit) > 0
    # precondition: the source is in the market and the cash lender queried it
    assert "telecom" in result.model.sources and "consortium" not in result.model.sources
    assert queried.sum() > 50
    assert not (others["data_queried"].to_numpy() & bit).any()  # nobody else buys it
    months = cash["telecom_months_on_number"].to_numpy()
    assert np.isfinite(months[queried]).mean() > 0.8  # coverage 0.9
    assert np.isnan(months[~queried]).all() and others["telecom_months_on_number"].isna().all()
    # the rule on its field declined applicants, each of them for a fresh number
    summary = result.summary["lenders"]["cash"]
    new_number = result.model.lenders[names.index("cash")].reason_codes.index("NEW_NUMBER")
    declined = cash["reason"].to_numpy() == new_number
    assert summary["declines_by_reason"]["NEW_NUMBER"] == declined.sum() > 0
    assert (months[declined] < 3).all()
    # every query is paid: the lender's data cost is its queries times the prices
    id_bit = 1 << source_layout(config).index("id_registry")
    id_queries = int(((cash["data_queried"].to_numpy() & id_bit) > 0).sum())
    assert summary["data_cost"] == (queried.sum() * PRICES["telecom"]
                                    + id_queries * PRICES["id_registry"])
    assert "NEW_NUMBER" in printed


def test_the_applications_table_names_the_plugin_bit_after_the_built_in_ones(example,
                                                                                  tmp_path):
    result, _ = example
    layout = source_layout(result.config)
    assert layout == ("bureau", "id_registry", "social_security", "consortium",
                      "service_profile", "telecom")  # built-in bits as they always were
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "write_figures", lambda *args, **kwargs: [])
        writer.write_run(result, tmp_path / "run")
    table = pd.read_parquet(tmp_path / "run" / "applications.parquet")
    bits = result.applications["data_queried"].to_numpy()
    for i, source in enumerate(layout):
        np.testing.assert_array_equal(table[f"queried_{source}"].to_numpy(),
                                      (bits >> i & 1).astype(bool))
    assert table["queried_telecom"].any() and table["queried_bureau"].any()
    assert "telecom_months_on_number" in table.columns


def test_the_operators_settings_move_its_records(example):
    # the example registered the source; a market with shorter-lived numbers
    def months(overrides: list[str]) -> np.ndarray:
        config = simfin.load_config(ROOT / "configs" / "baseline.yaml", [
            "population.n_consumers=5000",
            "data.sources.telecom={coverage: 1.0}", *overrides])
        model = simfin.MarketModel(config)
        rows = np.arange(model.population.n, dtype=np.intp)
        return model.sources["telecom"].lookup(rows)["telecom_months_on_number"]

    default, shorter = months([]), months(["data.sources.telecom.settings.settled_months=6"])
    assert 40 < default.mean() < 50  # mostly settled numbers (mean 48 months)
    assert shorter.mean() < default.mean() / 5  # mostly 6 months
    with pytest.raises(ConfigError, match="telecom.settings.fresh_months: input should be "
                                          "greater than 0"):
        months(["data.sources.telecom.settings.fresh_months=0"])


PLUGIN = textwrap.dedent('''
    """A lab's data source: months at the current address (a utility company's record)."""
    import numpy as np

    from simfin.lending import register_source


    @register_source("lab_utility", {"lab_utility_months": "Months at the current address."})
    def lab_utility(build):
        months = build.rng.exponential(36.0, build.population.n).astype(np.float32)
        return build.source(build.coverage(), {
            "lab_utility_months": lambda rows: months.take(rows)})
''')
CONFIG = textwrap.dedent('''
    {plugins}
    run: {{name: plugged, steps: 20, seed: 3}}
    population: {{n_consumers: 2000}}
    data:
      sources:
        lab_utility: {{coverage: 0.7, cost_cents: 15, settings: {{}}}}
    lenders:
      - name: plugged
        risk:
          data_sources: [id_registry, lab_utility]
''')


def simfin_run(argv: list[str], monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["simfin", *argv])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


def test_a_plugin_named_in_plugins_is_imported_before_the_lenders_name_its_source(
        tmp_path, monkeypatch, capsys):
    folder = tmp_path / "plugins"
    (folder / "lab_sources").mkdir(parents=True)
    (folder / "lab_sources" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "lab_sources" / "utility.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    plain, plugged = tmp_path / "plain.yaml", tmp_path / "plugged.yaml"
    plain.write_text(CONFIG.format(plugins=""), encoding="utf-8")
    plugged.write_text(CONFIG.format(plugins="plugins: [lab_sources.utility]"),
                       encoding="utf-8")
    # without the plug-in: one line naming the field and the registered sources, exit 2
    assert "lab_utility" not in SOURCES  # precondition: nothing registered it yet
    code, err = simfin_run(["run", str(plain), "--out", str(tmp_path / "no")], monkeypatch,
                           capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "unknown data source 'lab_utility'" in err and "registered: bureau" in err
    assert not (tmp_path / "no").exists()
    try:
        code, err = simfin_run(["run", str(plugged), "--out", str(tmp_path / "run")],
                               monkeypatch, capsys)
        assert code == 0, err
        table = pd.read_parquet(tmp_path / "run" / "applications.parquet")
        assert table["queried_lab_utility"].any() and table["queried_id_registry"].any()
        covered = table.loc[table["queried_lab_utility"], "lab_utility_months"].notna()
        assert 0.5 < covered.mean() < 0.9  # coverage 0.7
        with pytest.raises(ConfigError, match="data.sources: unknown data source "
                                              "'lab_utilty' \\(did you mean 'lab_utility'"):
            simfin.load_config(plugged, ["data.sources.lab_utilty={}"])
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "lab_sources"]:
            del sys.modules[name]
