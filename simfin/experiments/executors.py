"""Executors run the experiment's (scenario, seed) runs behind one interface.

``local`` runs them one after another in this process, with no setup. ``processes`` uses a
``concurrent.futures`` process pool on this machine. Every run is fully determined by its
config and seed, so both executors give identical results.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simfin
from simfin.lending.registry import Registry


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment."""

    scenario: str
    seed: int
    config: Path
    overrides: dict[str, Any]
    steps: int | None


def run_spec(spec: RunSpec) -> tuple[RunSpec, dict]:
    """Run one spec; returns it with the run's summary (small enough to ship back)."""
    result = simfin.run(spec.config, steps=spec.steps, seed=spec.seed,
                        overrides=spec.overrides)
    return spec, result.summary


EXECUTORS = Registry("executor")


@EXECUTORS.register("local")
def local(specs: list[RunSpec], workers: int = 1) -> Iterator[tuple[RunSpec, dict]]:
    """Run every spec in this process, in order."""
    for spec in specs:
        yield run_spec(spec)


@EXECUTORS.register("processes")
def processes(specs: list[RunSpec], workers: int = 2) -> Iterator[tuple[RunSpec, dict]]:
    """Run specs in a pool of worker processes; results come back in spec order.

    Workers are spawned, not forked: a fresh interpreter per worker is safe whatever
    threads the parent runs.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(run_spec, specs)


Executor = Callable[..., Iterator[tuple[RunSpec, dict]]]
