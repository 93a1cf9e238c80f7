"""A lender's decision pipeline: ordered stages over one ``ApplicationBatch``.

Each stage is a small object with one entry point, ``run(batch, ctx) -> batch``. Stages
decline rows; whatever is still pending after the last stage is approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from simfin.lending.batch import APPROVED, PENDING, ApplicationBatch


@dataclass
class DecisionContext:
    """What a stage may know besides the batch: the day and the lender's random stream."""

    day: int
    rng: np.random.Generator
    extra: dict = field(default_factory=dict)


class Stage(Protocol):
    """The interface of a pipeline stage.

    A stage whose class sets ``row_wise = True`` promises that each row's outcome depends
    only on that row (and that random draws are made in row order, one set per row): the
    pipeline may then run it on consecutive slices of a large batch.
    """

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Read columns, add columns, decline rows; return the batch."""
        ...


class Pipeline:
    """Runs stages in order and approves what survives them.

    On a batch larger than ``chunk_rows``, each run of consecutive row-wise stages goes
    slice by slice (views, written back in place), so that temporaries stay in the CPU
    cache and memory stays bounded; the decisions are the same as in one piece. Other
    stages see the whole batch.
    """

    chunk_rows = 1 << 16

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Decide every row of the batch."""
        if batch.n <= self.chunk_rows:
            batch = self._run(self.stages, batch, ctx)
        else:
            for stages, row_wise in self._groups():
                if not row_wise:
                    batch = self._run(stages, batch, ctx)
                    continue
                for start in range(0, batch.n, self.chunk_rows):
                    part = batch.view(start, min(start + self.chunk_rows, batch.n))
                    batch.absorb(self._run(stages, part, ctx), start)
        decision = batch["decision"]
        decision += (decision == PENDING) * decision.dtype.type(APPROVED - PENDING)
        return batch

    def _groups(self) -> list[tuple[list[Stage], bool]]:
        """Consecutive stages grouped by whether they are row-wise."""
        groups: list[tuple[list[Stage], bool]] = []
        for stage in self.stages:
            row_wise = getattr(stage, "row_wise", False)
            if groups and groups[-1][1] == row_wise:
                groups[-1][0].append(stage)
            else:
                groups.append(([stage], row_wise))
        return groups

    @staticmethod
    def _run(stages: list[Stage], batch: ApplicationBatch, ctx: DecisionContext
             ) -> ApplicationBatch:
        for stage in stages:
            batch = stage.run(batch, ctx)
        return batch

    def stage(self, kind: type) -> Stage | None:
        """The first stage of a class, or None."""
        return next((s for s in self.stages if isinstance(s, kind)), None)
