"""The experiment folder: a manifest, one Parquet part per finished run, failure records.

Layout::

    manifest.json            experiment name, fingerprint, every planned run
    parts/<run>.parquet      one per finished run, written (atomically) the moment it ends
    failures/<run>.json      one per run that raised; removed when a later attempt succeeds
    results.parquet          all parts in plan order, written last (pandas and DuckDB read it)

A folder is resumed only under the same fingerprint: parts made from another experiment file
or market config are never mixed in. A finished part is never rewritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from simfin.config import ConfigError
from simfin.experiments.models import RunOutcome
from simfin.experiments.plan import Plan, RunTask

MANIFEST = "manifest.json"


class ExperimentFolder:
    """Reads and writes one experiment's folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.failures = self.root / "failures"

    def is_experiment(self) -> bool:
        """True when the folder already holds an experiment's manifest."""
        return (self.root / MANIFEST).is_file()

    def open(self, name: str, fingerprint: str, plan: Plan) -> None:
        """Create the folder's manifest, or check that it matches (resume).

        Raises:
            ConfigError: The folder holds another experiment, or this one's file changed.
        """
        manifest = self.root / MANIFEST
        if manifest.is_file():
            self.check(fingerprint)
            return
        self.parts.mkdir(parents=True, exist_ok=True)
        runs = [{"run": t.key, "scenario": t.scenario, "point": t.point,
                 "replicate": t.replicate, "seed": t.seed, "parameters": t.parameters}
                for t in plan.tasks]
        _atomic_write(manifest, json.dumps({"name": name, "fingerprint": fingerprint,
                                            "runs": runs}, indent=1, default=str).encode())

    def check(self, fingerprint: str) -> None:
        """Refuse to resume a folder made from another experiment file or config.

        Raises:
            ConfigError: The manifest's fingerprint differs.
        """
        old = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        if old.get("fingerprint") != fingerprint:
            raise ConfigError(f"{self.root}: holds runs of a different experiment file or "
                              f"config ({old.get('name')}, fingerprint "
                              f"{old.get('fingerprint')}, now {fingerprint}); use a new "
                              "--out folder")

    def finished(self) -> set[str]:
        """Keys of the runs whose part is on disk."""
        if not self.parts.is_dir():
            return set()
        return {p.stem for p in self.parts.glob("*.parquet")}

    def part_path(self, task: RunTask) -> Path:
        """Where a run's part goes."""
        return self.parts / f"{task.key}.parquet"

    def record(self, outcome: RunOutcome) -> None:
        """Write a finished run's part, or its failure record."""
        task = outcome.task
        failure = self.failures / f"{task.key}.json"
        if outcome.rows is None:
            self.failures.mkdir(parents=True, exist_ok=True)
            _atomic_write(failure, json.dumps({"run": task.key, "error": outcome.error,
                                               "detail": outcome.detail}).encode())
            return
        frame = rows_frame(task, outcome.rows)
        target = self.part_path(task)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=self.parts)
        os.close(fd)
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
        failure.unlink(missing_ok=True)

    def failed(self) -> dict[str, str]:
        """Run key -> error of every run that failed and has no part."""
        if not self.failures.is_dir():
            return {}
        done = self.finished()
        out = {}
        for path in sorted(self.failures.glob("*.json")):
            if path.stem not in done:
                out[path.stem] = json.loads(path.read_text(encoding="utf-8"))["error"]
        return out

    def results(self, plan: Plan) -> pd.DataFrame:
        """Every finished part, in plan order (so identical whatever the executor)."""
        frames = [pd.read_parquet(self.part_path(t)) for t in plan.tasks
                  if self.part_path(t).is_file()]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)


def rows_frame(task: RunTask, rows: list[dict]) -> pd.DataFrame:
    """A run's rows tagged with its identity, parameters and seed."""
    tags = {"run": task.key, "scenario": task.scenario, "point": task.point,
            "replicate": task.replicate, "seed": task.seed, **task.parameters}
    frame = pd.DataFrame([{**tags, **row} for row in rows])
    for name in task.outcomes:
        if name in frame:
            frame[name] = frame[name].astype("float64")
    return frame


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
