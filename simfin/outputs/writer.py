"""Writing a run's files: all or nothing, and never touching files that are not simfin's.

Files are first written to a hidden staging folder next to the destination and moved into
place only when every one of them has been written, so an error leaves no half-written
output behind.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np

from simfin.config import dump_config
from simfin.outputs.figures import FIGURES, write_figures
from simfin.outputs.report import render_report
from simfin.runner import RunResult

OUTPUT_FILES = ("steps.parquet", "loans.parquet", "summary.json", "config.yaml", "report.md")
OUTPUT_DIRS = ("figures",)


class OutputExistsError(FileExistsError):
    """The output folder already holds files and ``force`` was not given."""


def default_out_dir(config_name: str, seed: int, root: Path = Path("runs")) -> Path:
    """``runs/<name>-seed<seed>-<timestamp>``: a new folder every time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return root / f"{config_name}-seed{seed}-{stamp}"


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse a folder that holds anything, unless ``force``."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputExistsError(f"{out}: folder is not empty (use --force to replace "
                                "simfin's outputs in it; other files are left alone)")


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_run(result: RunResult, out: Path, force: bool = False) -> Path:
    """Write steps, loans, summary, config, figures and report into ``out``."""
    check_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        steps = result.steps.copy()
        steps["lender"] = steps["lender"].astype(str)
        steps.to_parquet(staging / "steps.parquet", index=False)
        result.loans.to_parquet(staging / "loans.parquet", index=False)
        (staging / "summary.json").write_text(
            json.dumps(result.summary, indent=2, default=_json_default), encoding="utf-8")
        (staging / "config.yaml").write_text(dump_config(result.config), encoding="utf-8")
        figures = write_figures(result.steps, staging / "figures")
        rel = [f"figures/{p.name}" for p in figures]
        (staging / "report.md").write_text(render_report(result.config, result.summary, rel),
                                           encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        for name in OUTPUT_FILES:
            (staging / name).replace(out / name)
        for name in OUTPUT_DIRS:
            target = out / name
            if target.exists():
                for fig in FIGURES:
                    (target / fig).unlink(missing_ok=True)
            target.mkdir(exist_ok=True)
            for item in (staging / name).iterdir():
                item.replace(target / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
