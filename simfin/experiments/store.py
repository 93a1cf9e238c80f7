"""The experiment folder: a manifest, one Parquet part per finished run, failure records.

Layout::

    manifest.json            experiment name, fingerprint, every planned run
    parts/<run>.parquet      one per finished run, written (atomically) the moment it ends
    events/<run>.parquet     its events (policy changes, model go-live, loans, warnings),
                             written before its part
    swaps/<run>.parquet      its decided applications keyed for swap sets (when recorded)
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
from simfin.experiments.events import EVENT_COLUMNS
from simfin.experiments.models import RunOutcome
from simfin.experiments.plan import Plan, RunTask

MANIFEST = "manifest.json"


class ExperimentFolder:
    """Reads and writes one experiment's folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.failures = self.root / "failures"
        self.event_parts = self.root / "events"
        self.swap_parts = self.root / "swaps"

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
        if outcome.events is not None:  # first: a run with a part has its events
            self.event_parts.mkdir(parents=True, exist_ok=True)
            _atomic_parquet(events_frame(task, outcome.events),
                            self.event_parts / f"{task.key}.parquet")
        if outcome.applications is not None:  # before the part, like the events
            self.swap_parts.mkdir(parents=True, exist_ok=True)
            _atomic_parquet(outcome.applications, self.swap_parts / f"{task.key}.parquet")
        _atomic_parquet(rows_frame(task, outcome.rows), self.part_path(task))
        failure.unlink(missing_ok=True)

    def applications(self, task: RunTask):  # noqa: ANN201  (a DataFrame or None)
        """A finished run's applications keyed for swap sets, or None if not kept."""
        path = self.swap_parts / f"{task.key}.parquet"
        return pd.read_parquet(path) if path.is_file() else None

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


    def events(self, plan: Plan) -> pd.DataFrame:
        """The events of every finished run that kept them, in plan order."""
        done = self.finished()
        paths = [self.event_parts / f"{t.key}.parquet" for t in plan.tasks if t.key in done]
        frames = [pd.read_parquet(p) for p in paths if p.is_file()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return events_frame(None, [])
        return pd.concat(frames, ignore_index=True)


def _tags(task: RunTask) -> dict:
    return {"run": task.key, "scenario": task.scenario, "point": task.point,
            "replicate": task.replicate, "seed": task.seed}


def events_frame(task: RunTask | None, events: list[dict]) -> pd.DataFrame:
    """A run's events tagged with its identity (columns ``events.EVENT_COLUMNS``)."""
    tags = _tags(task) if task is not None else {}
    columns = ["run", "scenario", "point", "replicate", "seed", *EVENT_COLUMNS]
    frame = pd.DataFrame([{**tags, **event} for event in events], columns=columns)
    for name in ("point", "replicate", "seed", "day", "count"):
        frame[name] = frame[name].astype("Int64")
    for name in ("run", "scenario", "kind", "lender", "code", "detail"):
        frame[name] = frame[name].astype(object)
    return frame


def rows_frame(task: RunTask, rows: list[dict]) -> pd.DataFrame:
    """A run's rows tagged with its identity, parameters and seed."""
    tags = {**_tags(task), **task.parameters}
    frame = pd.DataFrame([{**tags, **row} for row in rows])
    for name in task.outcomes:
        if name in frame:
            frame[name] = frame[name].astype("float64")
    return frame


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=path.parent)
    os.close(fd)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
