"""Golden outputs: the files a run writes must not change unless a change means them to.

Every ``configs/*.yaml`` (the baseline and one per characteristic) runs at a small size, and
the sha256 of its ``steps.parquet``, ``loans.parquet`` and ``summary.json`` is compared with
``tests/golden.json``. One extra case (``c4_model_live``) makes the statistical models and
the champion/challenger split go live within the short run, so that scoring, retraining and
flag bits are covered too.

A refactor must keep these hashes. When a change is *meant* to alter outputs (a bug fix, a
new mechanism, a new output column), regenerate the hashes and say in the commit message
which cases changed and why::

    SIMFIN_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py
    git diff tests/golden.json      # the cases whose outputs changed

The hashes depend on the installed numpy/pandas/pyarrow versions (parquet bytes); after an
upgrade of those, regenerate too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

import pytest

import simfin
from simfin.outputs import writer

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden.json")
FILES = ("steps.parquet", "loans.parquet", "summary.json")
SIZE = {"population.n_consumers": 3_000, "run.steps": 120}
# Short credit events and early models, so that models decide and loans default in 120 days.
MODEL_LIVE = {"run.default_dpd": 15, "run.writeoff_dpd": 30, "population.fraud_share": 0.05}
MODEL_TIMING = {"min_outcomes": 10, "performance_window_days": 31, "retrain_every_days": 7}


def _model_live_overrides(config_path: Path) -> dict:
    """Early models for every lender (and challenger) of a config that has one."""
    cfg = simfin.load_config(config_path)
    extra = dict(MODEL_LIVE)
    for i, lender in enumerate(cfg.lenders):
        prefixes = [f"lenders.{i}.risk"]
        if lender.challenger is not None:
            prefixes.append(f"lenders.{i}.challenger.risk")
        for prefix in prefixes:
            for key, value in MODEL_TIMING.items():
                extra[f"{prefix}.model.{key}"] = value
    return extra


def _cases() -> dict[str, tuple[Path, dict]]:
    cases = {p.stem: (p, dict(SIZE)) for p in sorted((ROOT / "configs").glob("*.yaml"))}
    c4 = ROOT / "configs" / "c4_risk_control.yaml"
    cases["c4_model_live"] = (c4, {**SIZE, **_model_live_overrides(c4)})
    return cases


CASES = _cases()


def _hashes(config: Path, overrides: dict, out: Path) -> dict[str, str]:
    # The figures are not hashed: skip drawing them (the slowest part of writing a run).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "write_figures", lambda *args, **kwargs: [])
        writer.write_run(simfin.run(config, overrides=overrides), out)
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in FILES}


@pytest.fixture(scope="session")  # a small file: no reason to keep the cases on one worker
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_are_bit_identical(case, golden, tmp_path):
    config, overrides = CASES[case]
    got = _hashes(config, overrides, tmp_path / case)
    if os.environ.get("SIMFIN_REGENERATE_GOLDEN"):
        # The cases run on several xdist workers: read, update and write under a lock.
        with GOLDEN.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read()
            stored = json.loads(text) if text.strip() else {}
            stored[case] = got
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(dict(sorted(stored.items())), indent=2) + "\n")
        return
    assert case in golden, f"no golden hashes for {case}: regenerate (see module docstring)"
    changed = [f for f in FILES if golden[case][f] != got[f]]
    assert not changed, f"{case}: {changed} changed (see module docstring to regenerate)"
