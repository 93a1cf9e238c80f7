"""The memory estimate before a run (``simfin.memory``): close to measured peaks, and a
market that cannot fit the machine refused in one line, exit 2, nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import simfin
from simfin import memory
from simfin.bench.peak_memory import run_peak
from simfin.cli import main
from simfin.config import ConfigError

FACTOR = 1.5  # the estimate is within this factor of the measured peak, either way
BASELINE = str(Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml")


# One market where the consumers, loans and applications are a third of the peak (the
# benchmark suite's tiny run checks a market that is mostly the fixed cost).
@pytest.mark.parametrize(("consumers", "days"), [(300_000, 60)])
def test_estimate_is_within_a_factor_of_the_measured_peak(consumers, days):
    measured = run_peak(consumers, days, record_applications=True)
    assert measured["loans"] > 0 and measured["applications"] > 0  # a market that lent
    config = simfin.load_config(BASELINE, {"population.n_consumers": consumers,
                                           "run.steps": days})
    found = memory.estimate(config)
    assert measured["maxrss"] / FACTOR <= found.peak_bytes <= measured["maxrss"] * FACTOR, (
        found, measured)
    # Loans and applications expected from the demand: same order as the run's.
    assert measured["loans"] / 2 <= found.loans <= measured["loans"] * 2
    assert measured["applications"] / 2 <= found.applications <= measured["applications"] * 2


def test_estimate_grows_with_consumers_days_and_the_log():
    base = simfin.load_config(BASELINE, {"population.n_consumers": 1_000_000,
                                         "run.steps": 30})
    one = memory.estimate(base)
    ten = memory.estimate(simfin.load_config(base, {"population.n_consumers": 10_000_000}))
    fixed = memory.FIXED_BYTES
    assert ten.peak_bytes - fixed > 5 * (one.peak_bytes - fixed)  # beyond the libraries
    assert memory.estimate(simfin.load_config(base, {"run.steps": 365})).peak_bytes \
        > one.peak_bytes
    off = memory.estimate(simfin.load_config(base, {"run.record_applications": False}))
    assert off.applications == 0 and off.peak_bytes < one.peak_bytes
    # The figure: 50M consumers for 3 days need several GiB (measured: 5,536 MiB).
    huge = memory.estimate(simfin.load_config(base, {"population.n_consumers": 50_000_000,
                                                     "run.steps": 3}))
    assert huge.peak_bytes > 5 * 2**30


@pytest.fixture
def little_memory(monkeypatch):
    """A machine that reports 2 GiB available."""
    monkeypatch.delenv(memory.MEMORY_CHECK_ENV, raising=False)
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 2**30)


def test_oversized_market_is_refused_in_one_line_with_nothing_written(
        little_memory, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [
        "simfin", "run", BASELINE, "--out", str(out),
        "--set", "population.n_consumers=50000000", "--steps", "3"])
    with pytest.raises(SystemExit) as info:
        main()
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    line = err.strip()
    assert line.startswith("error: population.n_consumers: 50,000,000 consumers for 3 days")
    assert "GiB of memory at the peak" in line and "2.0 GiB available" in line
    assert "fits about" in line and "SIMFIN_MEMORY_CHECK=off" in line
    assert not out.exists() and not (tmp_path / "runs").exists()  # nothing written


def test_python_run_refuses_before_building_the_market(little_memory, monkeypatch):
    def no_market(*args, **kwargs):
        raise AssertionError("the market was built")

    monkeypatch.setattr("simfin.runner.MarketModel", no_market)
    with pytest.raises(ConfigError, match="population.n_consumers: 50,000,000 consumers"):
        simfin.run(BASELINE, steps=3, overrides={"population.n_consumers": 50_000_000})


def test_the_check_can_be_turned_off(little_memory, monkeypatch):
    config = simfin.load_config(BASELINE, {"population.n_consumers": 50_000_000,
                                           "run.steps": 3})
    with pytest.raises(ConfigError):
        memory.check_fits(config)
    monkeypatch.setenv(memory.MEMORY_CHECK_ENV, "off")
    assert memory.check_fits(config).peak_bytes > 2 * 2**30  # estimated, not refused


def test_a_market_that_fits_is_not_refused(little_memory):
    small = simfin.load_config(BASELINE, {"population.n_consumers": 10_000, "run.steps": 5})
    assert memory.check_fits(small).peak_bytes < 2 * 2**30
