"""The application log spilled to a private temporary file as the run goes, read lazily,
streamed into applications.parquet; and the population's narrower money columns.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import simfin
from simfin.agents.population import Population
from simfin.config import ConfigError, PopulationConfig
from simfin.indicators import application_log
from simfin.outputs.application_table import write_applications
from simfin.outputs.run_folder import is_complete
from simfin.outputs.writer import write_application_record, write_run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spilled():
    """One small run whose log spilled in many row groups, and the same run whose log
    stayed in one buffer until the end.
    """
    cfg = simfin.load_config(None, {"population.n_consumers": 3_000, "run.steps": 40})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(application_log, "SPILL_ROWS", 60)
        many = simfin.run(cfg)
    mp_groups = many.application_log.row_groups()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(application_log, "SPILL_ROWS", 10**9)
        one = simfin.run(cfg)
    return many, one, mp_groups


def test_the_log_spills_in_row_groups_and_reads_as_one_table(spilled):
    many, one, groups = spilled
    assert len(many.application_log) > 500 and len(groups) >= 5  # precondition
    assert many._applications is None  # not read by the run itself
    pd.testing.assert_frame_equal(many.applications, one.applications, check_exact=True)
    assert len(one.application_log.row_groups()) == 1
    assert many.summary == one.summary


def test_a_few_columns_are_read_without_the_table(spilled):
    many, one, _ = spilled
    some = many.application_log.columns(["lender", "pd", "decision"])
    pd.testing.assert_frame_equal(some, one.applications[["lender", "pd", "decision"]],
                                  check_exact=True)


def test_the_spill_file_is_private_and_removed_on_close_and_collection(make_config):
    result = simfin.run(make_config(**{"run.steps": 10}))
    folder = result.application_log._folder
    assert folder is not None and folder.exists()
    assert Path(tempfile.gettempdir()) in folder.parents and REPO not in folder.parents
    apps = result.applications
    result.close()
    assert not folder.exists()
    assert result.applications is apps  # what was read stays
    again = simfin.run(make_config(**{"run.steps": 10}))
    folder = again.application_log._folder
    assert folder.exists()
    del again
    gc.collect()
    assert not folder.exists()


def test_a_closed_log_that_was_never_read_is_not_written_as_no_record(make_config,
                                                                         tmp_path):
    result = simfin.run(make_config(**{"run.steps": 10}))
    assert len(result.application_log) > 0  # precondition: applications were recorded
    result.close()
    with pytest.raises(ValueError, match="closed"):
        write_run(result, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_spill_folder_of_a_killed_process_is_removed_by_the_next_log(
        make_config, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live, lock = application_log.spill_folder()  # in use by this process
    code = ("import os; from simfin.indicators.application_log import spill_folder; "
            "print(spill_folder()[0], flush=True); os.kill(os.getpid(), 9)")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=REPO, env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=120)
    abandoned = Path(child.stdout.strip())
    # precondition: the child was killed and left its folder, locked no more
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert abandoned.parent == tmp_path and (abandoned / application_log.SPILL_LOCK).exists()
    result = simfin.run(make_config(**{"run.steps": 10}))
    mine = result.application_log._folder
    assert mine.parent == tmp_path and mine.exists()
    assert not abandoned.exists()
    assert live.exists()  # a folder whose lock is held stays
    result.close()
    assert not mine.exists() and live.exists()
    os.close(lock)


def test_applications_parquet_is_streamed_with_the_content_of_the_whole_table(spilled,
                                                                              tmp_path):
    many, _, groups = spilled
    lenders = many.model.lenders
    write_application_record(many, tmp_path / "streamed.parquet")
    write_applications(many.applications, many.config,
                       [lender.reason_codes for lender in lenders],
                       [lender.flag_reasons for lender in lenders], tmp_path / "whole.parquet")
    streamed = pq.ParquetFile(tmp_path / "streamed.parquet")
    assert streamed.num_row_groups == len(groups) > 1  # precondition: written in parts
    assert streamed.schema_arrow.equals(pq.read_schema(tmp_path / "whole.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "streamed.parquet"),
                                  pd.read_parquet(tmp_path / "whole.parquet"),
                                  check_exact=True)


def test_a_line_limit_beyond_32_bits_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="max_amount_cents") as err:
        simfin.load_config(None, ["lenders.0.products.1.max_amount_cents=2147483648"])
    assert "\n" not in str(err.value)


def test_incomes_are_kept_in_32_bits_only_when_every_one_fits():
    narrow = Population(PopulationConfig(n_consumers=2_000), np.random.default_rng(0))
    wide = Population(PopulationConfig(n_consumers=2_000, income_median_cents=10**9),
                      np.random.default_rng(0))
    assert narrow.base_income_cents.dtype == np.int32
    assert wide.base_income_cents.dtype == np.int64
    assert wide.base_income_cents.max() > np.iinfo(np.int32).max  # precondition
    rows = np.arange(100)
    for pop in (narrow, wide):
        income = pop.income_cents(rows, day=0)
        assert income.dtype == np.int64
        assert (income == pop.base_income_cents[:100]).all()


def test_a_run_whose_days_bring_no_application_ends_with_an_empty_log(tmp_path):
    # A day of 200 consumers brings no application: the lenders record empty batches
    # only, which were spilled as a row group of 0 rows (pyarrow refuses: a traceback).
    result = simfin.run(None, steps=1, overrides={"population.n_consumers": 200,
                                                  "run.runoff_days": 0})
    assert result.summary["market"]["applications"] == 0  # precondition
    assert result.application_log is not None and len(result.application_log) == 0
    assert result.applications.empty
    write_run(result, tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "applications.parquet").empty
    assert is_complete(tmp_path / "out")
