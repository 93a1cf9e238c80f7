"""Shared fixtures: small markets that build and run in well under a second; and how the
suite is spread over processes (pytest-xdist, ``-n auto`` in pyproject.toml).
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

import pytest

import simfin
from simfin.config import dump_config

# -- parallel runs (pytest-xdist) ----------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Timed benchmarks run in one process: pytest-benchmark refuses to time under xdist, and
    two workers would disturb each other's timings. ``--benchmark-enable`` (the README's
    timed command) therefore means ``-n 0``; the default run keeps its workers and runs every
    benchmark once, untimed.
    """
    if config.getoption("benchmark_enable", False) and config.pluginmanager.has_plugin("xdist"):
        config.option.numprocesses = 0


# Work units the scheduler hands out first (longest first is the shortest wall time): path
# prefixes of the slowest units, longest first, measured on 2 cores (2026-12-07, with
# --durations=0: a module with a shared fixture is one unit, its total). A unit not listed
# keeps its place, after these.
HEAVY_FIRST = (
    "tests/mechanisms/test_characteristics.py",   # one unit (module fixtures), ~50 s in CI
    "tests/governance/test_reject_inference.py",  # one unit, ~40 s
    "tests/test_docs.py",                         # README.md alone ~30 s
    "notebooks/",                                 # 10-30 s each
    "tests/mechanisms/",
    "tests/experiments/",
    "tests/config/test_behaviour.py",             # one unit of ~100 runs
    "tests/test_cli.py",                          # one unit
    "tests/outputs/",
    "tests/lending/test_provisions.py",
    "tests/test_strategy_direction.py",
    "tests/test_calibration.py",
    "tests/viz/test_dashboard_browser.py",
    "tests/hardening/",
    "tests/test_golden.py",
)
# A module with a fixture of module or class scope keeps its tests on one worker: the fixture
# (a market run, a batch of CLI subprocesses, a Dask cluster) is built once, not per worker.
SHARED_FIXTURE = re.compile(r"""scope\s*=\s*["'](module|class)["']""")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` (pyproject.toml), refined: a test is its own work unit unless its
    module has a module- or class-scoped fixture (then the module is one unit); the slowest
    units (:data:`HEAVY_FIRST`) go first, so that no long test starts last.
    """
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = Path(str(config.rootpath))

    @cache
    def shares_fixtures(module: str) -> bool:
        path = root / module
        return path.suffix == ".py" and path.is_file() and bool(
            SHARED_FIXTURE.search(path.read_text(encoding="utf-8")))

    def rank(scope: str) -> int:
        starts = [scope.startswith(prefix) for prefix in HEAVY_FIRST]
        return starts.index(True) if any(starts) else len(HEAVY_FIRST)

    class SharedFixtureScheduling(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if shares_fixtures(module) else nodeid

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue is complete on the first assignment
                units = sorted(self.workqueue.items(), key=lambda unit: rank(unit[0]))
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return SharedFixtureScheduling(config, log)


# The suite's market: a rules-only lender beside a scored one (tests/markets/two_lenders.yaml).
# simfin's default market (no config) is configs/baseline.yaml; the tests that compare rules
# with a model, and the numbers they were tuned on, use this one.
TWO_LENDERS = Path(__file__).resolve().parent / "markets" / "two_lenders.yaml"


def before_roles() -> dict:
    """Overrides that give the default market as it was before its lenders' roles (issue
    24): the platform funding its loans alone and no lender's own channel. Tests of one
    lender's strategy or model, and of the cycle's mechanism, run on it: co-lending moves
    70 % of the platform's losses onto the bank's books, and the bank's app takes a quarter
    of the consumers (the better-off) to the bank, so the platform's model goes live later.
    """
    channels = simfin.load_config(None).model_dump()["channels"]
    return {"lenders.platform.funding.partners": [],
            "channels": [c for c in channels if c["owner"] is None]}
# A small market: a few thousand consumers, a couple of months.
SMALL = {"population.n_consumers": 3_000, "run.steps": 90, "run.seed": 7}
# Fast credit events, so that defaults and write-offs happen within a short run.
FAST_EVENTS = {"run.default_dpd": 15, "run.writeoff_dpd": 30}
# The scored lender leaves cold start early, and deploys every fit (these tests are about
# what a live model does; the validation gate is tested in tests/lending/test_scoring.py).
EARLY_MODEL = {
    "lenders.1.risk.model.min_outcomes": 10,
    "lenders.1.risk.model.min_bad_outcomes": 5,
    "lenders.1.risk.model.validation_share": 0.0,
    "lenders.1.risk.model.performance_window_days": 31,
    "lenders.1.risk.model.retrain_every_days": 7,
}


def small_config(**overrides):
    """The suite's market at a small size; keyword ``a__b=1`` stands for ``a.b=1``."""
    extra = {k.replace("__", "."): v for k, v in overrides.items()}
    return simfin.load_config(TWO_LENDERS, {**SMALL, **extra})


@pytest.fixture(scope="session")
def make_config():
    """:func:`small_config`, for tests."""
    return small_config


@pytest.fixture(scope="session")
def small_cfg():
    """A validated small config (treat as read-only)."""
    return small_config()


@pytest.fixture(scope="session")
def small_run():
    """One run of a small market with defaults, write-offs and a model in use.

    Shared by many tests: never mutate it.
    """
    cfg = simfin.load_config(TWO_LENDERS, {**SMALL, **FAST_EVENTS, **EARLY_MODEL,
                                            "population.fraud_share": 0.05, "run.steps": 120})
    return simfin.run(cfg)


@pytest.fixture
def small_yaml(tmp_path: Path) -> Path:
    """A small config file for the CLI: 2,000 consumers, 30 days."""
    cfg = simfin.load_config(TWO_LENDERS, {"population.n_consumers": 2_000, "run.steps": 30,
                                           "run.name": "tiny"})
    path = tmp_path / "tiny.yaml"
    path.write_text(dump_config(cfg), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def simfin_exe() -> list[str]:
    """The ``simfin`` console script of this environment."""
    exe = Path(sys.executable).with_name("simfin")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "simfin.cli"]


# -- bad inputs, shared by the loading and the CLI tests ------------------------------------

RULES_LENDER = "lenders:\n  - name: only\n    risk:\n      rules:\n        - {rule}\n"
BAD_INPUTS = {
    # id: (file text or None for a valid file or "MISSING", overrides, field, reason)
    "wrong_type": (None, ["population.n_consumers=abc"], "population.n_consumers",
                   "valid integer"),
    "wrong_type_in_file": ("population:\n  n_consumers: many\n", [],
                           "population.n_consumers", "valid integer"),
    "unknown_field_in_file": ("population:\n  n_consumer: 100\n", [],
                              "population.n_consumer", "unknown field"),
    "unknown_field_override": (None, ["policy.apr_capp=0.3"], "policy.apr_capp",
                               "unknown field"),
    "negative_amount": (None, ["population.income_median_cents=-5"],
                        "population.income_median_cents", "must be > 0"),
    "probability_above_1": (None, ["lenders.1.risk.approval_threshold=1.7"],
                            "lenders.1.risk.approval_threshold", "must be <= 1"),
    "probability_below_0": (None, ["population.fraud_share=-0.1"],
                            "population.fraud_share", "must be >= 0"),
    "unparsable_yaml": ("run: [1, 2\n  steps: 3\n", [], "bad.yaml", "not valid YAML"),
    "missing_file": ("MISSING", [], "missing.yaml", "not found"),
    "yaml_python_tag": ('run: !!python/object/apply:os.system ["touch PWNED"]\n', [],
                        "bad.yaml", "not valid YAML"),
    "override_python_tag": (None, ['run.name=!!python/object/apply:os.system ["touch PWNED"]'],
                            "run.name", "cannot parse"),
    "rule_unknown_field": (RULES_LENDER.format(rule='{name: x, when: "credit_score > 3"}'), [],
                           "lenders.0.risk.rules.0.when", "unknown field 'credit_score'"),
    "rule_unknown_key": (RULES_LENDER.format(rule='{name: x, when: "age_years < 18", '
                                             'severity: 2}'), [],
                         "lenders.0.risk.rules.0.severity", "unknown field"),
    "rule_does_not_parse": (RULES_LENDER.format(rule='{name: x, when: "age_years >"}'), [],
                            "lenders.0.risk.rules.0.when", "cannot parse"),
    "rule_calls_import": (RULES_LENDER.format(
        rule="{name: x, when: \"__import__('os').system('touch PWNED') > 0\"}"), [],
        "lenders.0.risk.rules.0.when", "not allowed"),
    "duplicate_lender_names": ("lenders:\n  - {name: twin}\n  - {name: twin}\n", [],
                               "lenders", "unique"),
    "cohorts_not_summing_to_1": (None, ["population.cohorts.pre80=0.5"],
                                 "population.cohorts", "sum to 1"),
    "channel_owner_not_a_lender": (None, ["channels.0.owner=nobody"], "channels.0.owner",
                                   "no lender named 'nobody'"),
}

# Checks across the whole config name the section after "config:".
FIELD_NOT_FIRST = {"duplicate_lender_names"}


class BadInput:
    """One materialised bad input: a config path, overrides, and what the error must say."""

    def __init__(self, case_id: str, folder: Path) -> None:
        text, overrides, field, reason = BAD_INPUTS[case_id]
        self.id = case_id
        self.folder = folder
        if text is None:
            self.path = folder / "good.yaml"
            self.path.write_text("population:\n  n_consumers: 2000\nrun:\n  steps: 5\n",
                                 encoding="utf-8")
        elif text == "MISSING":
            self.path = folder / "missing.yaml"
        else:
            self.path = folder / "bad.yaml"
            self.path.write_text(text, encoding="utf-8")
        self.overrides = list(overrides)
        self.field = field
        self.reason = reason

    def check_message(self, message: str) -> None:
        """The message is one line that starts with the field and gives the reason."""
        assert "\n" not in message.strip(), message
        assert self.field in message, message
        if self.id in FIELD_NOT_FIRST:
            pass  # a whole-config check: the section is named in the reason
        elif self.field.endswith(".yaml"):
            assert message.startswith(str(self.path) + ":"), message
        else:
            assert message.startswith(self.field + ":"), message
        assert self.reason in message, message
        # nothing a bad input asked for was executed
        assert not (self.folder / "PWNED").exists()
        assert not Path("PWNED").exists()


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_input(request, tmp_path: Path, monkeypatch) -> BadInput:
    """Every bad input of :data:`BAD_INPUTS`, in a fresh folder that is also the cwd."""
    monkeypatch.chdir(tmp_path)
    return BadInput(request.param, tmp_path)


@pytest.fixture(scope="session")
def bad_input_case():
    """Build a :class:`BadInput` by id in a folder: ``bad_input_case(case_id, folder)``."""
    return BadInput
