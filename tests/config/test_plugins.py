"""Plug-ins named in a config: a scorer from a module outside the package, used by
``simfin run``; one-line errors for names that are not modules or do not import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simfin
from simfin.config import ConfigError

CONSTANT_PD = 0.0123  # the plug-in scorer's PD: no built-in model gives every applicant it
PLUGIN = textwrap.dedent(f'''
    """A scorer outside simfin: every applicant gets the same PD."""
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin

    from simfin.lending import register_scorer


    @register_scorer("constant_pd")
    class ConstantPD(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.array([0, 1])
            return self

        def predict_proba(self, X):
            p = np.full(len(X), {CONSTANT_PD})
            return np.column_stack([1 - p, p])
''')
CONFIG = textwrap.dedent('''
    plugins: [lab_scorers.constant]
    run: {name: plugged, steps: 80, seed: 3, default_dpd: 15, writeoff_dpd: 30}
    population: {n_consumers: 2000}
    lenders:
      - name: plugged
        risk:
          model: {kind: constant_pd, min_outcomes: 10, min_bad_outcomes: 5,
                  validation_share: 0.0, performance_window_days: 31, retrain_every_days: 7}
''')


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Iterator[Path]:
    """A package ``lab_scorers`` with the module ``constant``, outside simfin."""
    package = tmp_path / "plugins" / "lab_scorers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "constant.py").write_text(PLUGIN, encoding="utf-8")
    yield tmp_path / "plugins"
    # Forget the package: the next test's lives in another folder.
    for name in [m for m in sys.modules if m.split(".")[0] == "lab_scorers"]:
        del sys.modules[name]


def test_simfin_run_uses_a_plugin_scorer(plugin_dir, tmp_path, simfin_exe):
    config = tmp_path / "plugged.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(plugin_dir)}
    out = tmp_path / "run"
    done = subprocess.run([*simfin_exe, "run", str(config), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["lenders"]["plugged"]["model_since_day"] is not None  # the model decided
    apps = pd.read_parquet(out / "applications.parquet")
    scored = apps["pd"].dropna()
    assert len(scored) > 50
    np.testing.assert_array_equal(scored.to_numpy(), np.float32(CONSTANT_PD))
    # The resolved config names the plug-in, so the run reproduces from it.
    assert "lab_scorers.constant" in (out / "config.yaml").read_text(encoding="utf-8")
    # Without the plug-in on the path, the same config is refused in one line.
    env.pop("PYTHONPATH")
    refused = subprocess.run([*simfin_exe, "run", str(config), "--out", str(tmp_path / "no")],
                             env=env, capture_output=True, text=True, timeout=300,
                             cwd=tmp_path)
    assert refused.returncode == 2
    message = refused.stderr.strip()
    assert message.startswith("error: plugins.0: cannot import plug-in 'lab_scorers.constant'")
    assert "\n" not in message
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("name", ["os; rm -rf /", "../evil", "lab scorers", "1st", "a..b", ""])
def test_names_that_are_not_modules_are_refused(name):
    with pytest.raises(ConfigError, match=r"^plugins\.0: .* is not a module name"):
        simfin.load_config(None, {"plugins": [name]})


def test_a_plugin_that_fails_to_import_is_named(plugin_dir, monkeypatch):
    (plugin_dir / "lab_scorers" / "broken.py").write_text("raise RuntimeError('boom')\n",
                                                          encoding="utf-8")
    monkeypatch.syspath_prepend(str(plugin_dir))
    with pytest.raises(ConfigError) as err:
        simfin.load_config(None, {"plugins": ["json", "lab_scorers.broken"]})
    assert str(err.value) == ("plugins.1: cannot import plug-in 'lab_scorers.broken': "
                              "RuntimeError: boom")


def test_plugins_are_imported_before_the_lenders_are_checked(plugin_dir, monkeypatch):
    from simfin.lending.registry import SCORERS

    # A fresh module and registry state, so that this process has not imported it yet.
    monkeypatch.syspath_prepend(str(plugin_dir))
    monkeypatch.setattr(SCORERS, "_factories", dict(SCORERS._factories))
    (plugin_dir / "lab_scorers" / "ordered.py").write_text(
        PLUGIN.replace('"constant_pd"', '"ordered_pd"'), encoding="utf-8")
    assert "ordered_pd" not in SCORERS
    with pytest.raises(ConfigError, match="unknown scoring model 'ordered_pd'"):
        simfin.load_config(None, {"lenders.0.risk.model.kind": "ordered_pd"})
    cfg = simfin.load_config(None, {"plugins": ["lab_scorers.ordered"],
                                    "lenders.0.risk.model.kind": "ordered_pd"})
    assert cfg.lenders[0].risk.model.kind == "ordered_pd"
