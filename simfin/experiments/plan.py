"""The runs of an experiment: scenarios x design points x replicates, with their seeds.

Replicates share seeds across scenarios and points (common random numbers), so differences
between scenarios are paired. Seeds come from ``numpy.random.SeedSequence`` of the file's root
seed unless the file lists them; the design's sampler gets its own child of the same root.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfin.experiments.design import ExperimentConfig
from simfin.experiments.sampling import design_points, unit_points

SEED_LIMIT = 1_000_000_000
"""Seeds are below the config's bound on ``run.seed``."""
PARTS_FORMAT = 2
"""What a run's part holds: 2, money in yuan and events kept (1: cents, no events). Part
of the fingerprint, so a folder of parts in another format is never resumed into."""


@dataclass(frozen=True)
class RunTask:
    """One run: everything a worker needs, small and picklable."""

    index: int
    scenario: str
    point: int
    replicate: int
    seed: int
    model: str
    config: Path
    overrides: dict[str, Any]
    steps: int | None
    outcomes: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """File-safe identity of the run (scenario names are safe names)."""
        return f"{self.scenario}__p{self.point:05d}__r{self.replicate:04d}"


@dataclass
class Plan:
    """All runs of an experiment, and the design they came from."""

    tasks: list[RunTask]
    points: pd.DataFrame
    unit: np.ndarray | None
    seeds: list[int]
    analysis_seed: int


def seeds_of(experiment: ExperimentConfig) -> tuple[list[int], int, int]:
    """Replicate seeds, the design sampler's seed and the analysis (bootstrap) seed."""
    root = np.random.SeedSequence(experiment.seed)
    replicates_ss, design_ss, analysis_ss = root.spawn(3)
    if experiment.seeds is not None:
        seeds = list(experiment.seeds)
    else:
        seeds = [to_seed(c) for c in replicates_ss.spawn(experiment.replicates)]
    design_seed = experiment.design.seed if experiment.design and experiment.design.seed \
        is not None else to_seed(design_ss)
    return seeds, design_seed, to_seed(analysis_ss)


def to_seed(sequence: np.random.SeedSequence) -> int:
    """A run seed from a seed sequence, within the config's range of ``run.seed``."""
    return int(sequence.generate_state(1)[0]) % SEED_LIMIT


def plan(experiment: ExperimentConfig, config_path: Path) -> Plan:
    """Every run of the experiment, in a fixed order (scenario, point, replicate)."""
    seeds, design_seed, analysis_seed = seeds_of(experiment)
    if experiment.design is not None:
        unit = unit_points(experiment.design, design_seed, experiment.sensitivity)
        points = design_points(experiment.design, unit)
    else:
        unit, points = None, pd.DataFrame(index=range(1))
    tasks = []
    for scenario, overrides in experiment.scenarios.items():
        for point, row in enumerate(points.to_dict("records")):
            values = {k: _plain(v) for k, v in row.items()}
            for replicate, seed in enumerate(seeds):
                tasks.append(RunTask(
                    len(tasks), scenario, point, replicate, seed, experiment.model,
                    config_path, {**experiment.overrides, **overrides, **values},
                    experiment.steps, tuple(experiment.outcomes), values))
    return Plan(tasks, points, unit, seeds, analysis_seed)


def fingerprint(experiment: ExperimentConfig, config_path: Path) -> str:
    """Hash of what determines the results: the experiment and its market config's text.

    A folder whose parts were made under another fingerprint must not be resumed into.
    """
    payload = {"experiment": experiment.model_dump(mode="json"), "parts": PARTS_FORMAT}
    if experiment.model == "simfin" and config_path.is_file():
        payload["config"] = config_path.read_text(encoding="utf-8")
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
