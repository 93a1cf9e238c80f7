"""Writing a run's files (tables, summary, config, figures, report) into its output folder,
all or nothing: :mod:`simfin.outputs.run_folder` stages, commits and checks the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.config import dump_config
from simfin.outputs.application_table import (
    rule_table,
    write_application_groups,
    write_applications,
)
from simfin.outputs.figures import write_figures
from simfin.outputs.loan_table import write_loans
from simfin.outputs.report import render_report
from simfin.outputs.run_folder import staged
from simfin.runner import RunResult


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path: Path, data: dict) -> None:
    """JSON with numpy scalars as plain numbers."""
    path.write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")


def write_application_record(result: RunResult, path: Path) -> None:
    """``applications.parquet`` when the run recorded applications: streamed from the
    application log row group by row group (the table is never held whole), or written
    from ``result.applications`` when the log is closed.
    """
    lenders = result.model.lenders
    codes = ([lender.reason_codes for lender in lenders],
             [lender.flag_reasons for lender in lenders])
    log = result.application_log
    if log is None:
        if result.applications is not None:
            write_applications(result.applications, result.config, *codes, path)
        elif result.config.run.record_applications:  # not silently a run without a record
            raise ValueError("applications.parquet: the run's application log was closed "
                             "(RunResult.close) before its table was read")
        return
    if not len(log):
        write_applications(pd.DataFrame(), result.config, *codes, path)  # no application
        return
    # The distinct (lender, flag bits) pairs, row group by row group: the rule names of
    # the whole table without its two columns at once.
    pairs = pd.concat([group.drop_duplicates() for group in
                       log.column_groups(["lender", "flags"])]).drop_duplicates()
    rules = rule_table(pairs["lender"].to_numpy(), pairs["flags"].to_numpy(), codes[1])
    pop = result.model.population
    write_application_groups(log.groups(result.model.book, pop.cohort, pop.region), rules,
                             result.config, *codes, path)


def write_run(result: RunResult, out: Path, force: bool = False,
              staging: Path | None = None) -> Path:
    """Write steps, loans, summary, config, figures, report and manifest into ``out``.

    Args:
        result: The run.
        out: The output folder.
        force: Allow a non-empty ``out`` (only simfin's files are replaced).
        staging: The staging folder :func:`prepare` made before the run, if any.
    """
    with staged(out, force, staging) as staging:
        steps = result.steps.copy()
        steps["lender"] = steps["lender"].astype(str)
        steps.to_parquet(staging / "steps.parquet", index=False)
        # Named and converted to Arrow a part at a time (the whole table named, then
        # converted, was two copies of it at once: the peak of writing a large run).
        write_loans(result.loans, result.config, staging / "loans.parquet")
        write_application_record(result, staging / "applications.parquet")
        write_json(staging / "summary.json", result.summary)
        (staging / "config.yaml").write_text(dump_config(result.config), encoding="utf-8")
        figures = write_figures(result, staging / "figures")
        rel = [f"figures/{p.name}" for p in figures]
        (staging / "report.md").write_text(render_report(result.config, result.summary, rel),
                                           encoding="utf-8")
    return out
