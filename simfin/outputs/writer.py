"""Writing a run's files: all or nothing, and never touching files that are not simfin's.

Files are first written to a hidden staging folder next to the destination and moved into
place only when every one of them has been written, so an error leaves no half-written
output behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np

from simfin.config import dump_config
from simfin.outputs.figures import write_figures
from simfin.outputs.loan_table import named_loans
from simfin.outputs.report import render_report
from simfin.runner import RunResult

# What a run writes (besides figures/*.png); tests and users can rely on these names.
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


@contextmanager
def staged(out: Path, force: bool = False) -> Iterator[Path]:
    """Write into a hidden staging folder; on success move each file into ``out``.

    Only the files written in the staging folder replace files in ``out``; anything else a
    user keeps there is left alone. On an error nothing in ``out`` changes.
    """
    check_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A fresh, uniquely named folder: never one a user (or another run) already has.
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield staging
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        moves = [(path, out / path.relative_to(staging)) for path in files]
        # Check every destination before moving anything: all or nothing.
        for _, target in moves:
            for place in (target, *target.parents):
                if place == out.parent:
                    break
                if place.exists() and not (place.is_dir() if place != target
                                           else place.is_file()):
                    raise OutputExistsError(f"{place}: is in the way of simfin's output "
                                            f"{target.relative_to(out)}")
        for path, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_json(path: Path, data: dict) -> None:
    """JSON with numpy scalars as plain numbers."""
    path.write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")


def write_run(result: RunResult, out: Path, force: bool = False) -> Path:
    """Write steps, loans, summary, config, figures and report into ``out``."""
    with staged(out, force) as staging:
        steps = result.steps.copy()
        steps["lender"] = steps["lender"].astype(str)
        steps.to_parquet(staging / "steps.parquet", index=False)
        named_loans(result.loans, result.config).to_parquet(staging / "loans.parquet",
                                                            index=False)
        write_json(staging / "summary.json", result.summary)
        (staging / "config.yaml").write_text(dump_config(result.config), encoding="utf-8")
        figures = write_figures(result, staging / "figures")
        rel = [f"figures/{p.name}" for p in figures]
        (staging / "report.md").write_text(render_report(result.config, result.summary, rel),
                                           encoding="utf-8")
    return out
