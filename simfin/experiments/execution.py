"""Executing an experiment into its folder: only the runs that are missing, any executor.

Each finished run is written as its own part the moment it ends, so a killed execution, a
Ctrl-C or a lost worker loses only the runs in flight; the same call on the same folder then
runs only what is missing. A run that raises is recorded with its error; the others finish.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simfin.experiments.design import ExperimentConfig
from simfin.experiments.executors import EXECUTORS
from simfin.experiments.plan import Plan, fingerprint, plan
from simfin.experiments.store import ExperimentFolder


@dataclass
class ExperimentResult:
    """The combined results of every finished run, and the runs that failed."""

    results: pd.DataFrame
    failures: dict[str, str]
    plan: Plan
    ran: int
    """Runs executed by this call (the others were already finished)."""
    events: pd.DataFrame | None = None
    """Every finished run's events (``simfin.experiments.events``)."""


def run_experiment(experiment: ExperimentConfig, config_path: Path, out: Path | None = None,
                   executor: str = "local", workers: int = 2, address: str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ExperimentResult:
    """Run every missing run of the experiment into ``out`` and combine the parts.

    Args:
        experiment: The validated experiment file.
        config_path: Its market config.
        out: The experiment folder (created, or resumed if it holds this experiment); a
            temporary folder when None.
        executor: A name registered in ``EXECUTORS``.
        workers: Worker processes (processes, dask without address).
        address: Dask scheduler address (dask only).
        progress: Called with (finished, total) at the start and after every run.

    Raises:
        ConfigError: ``out`` holds runs of a different experiment file or config.
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="simfin-experiment-") as tmp:
            return run_experiment(experiment, config_path, Path(tmp), executor, workers,
                                  address, progress)
    run_executor = EXECUTORS.get(executor)
    the_plan = plan(experiment, config_path)
    folder = ExperimentFolder(out)
    folder.open(experiment.name, fingerprint(experiment, config_path), the_plan)
    finished = folder.finished()
    todo = [t for t in the_plan.tasks if t.key not in finished]
    total = len(the_plan.tasks)
    done = total - len(todo)
    if progress is not None:
        progress(done, total)
    for outcome in run_executor(todo, workers=workers, address=address):
        folder.record(outcome)
        done += 1
        if progress is not None:
            progress(done, total)
    return ExperimentResult(folder.results(the_plan), folder.failed(), the_plan, len(todo),
                            folder.events(the_plan))
