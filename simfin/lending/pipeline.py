"""A lender's decision pipeline: ordered stages over one ``ApplicationBatch``.

Each stage is a small object with one entry point, ``run(batch, ctx) -> batch``. Stages
decline rows; whatever is still pending after the last stage is approved.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
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
    only on that row: the pipeline may then run it on consecutive slices of a large batch.
    A row-wise stage that draws random numbers from ``ctx.rng`` also sets ``draws = True``
    and draws in row order, so that slices taken in order see the same draws. A stage
    that is row-wise only on some batches defines ``row_wise_for(batch)`` instead, asked
    of the batch as it enters the pipeline (so it may only look at columns that earlier
    stages leave alone).
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

    With ``threads`` > 1 the slices of a run of row-wise stages that draw no random
    numbers are decided on that many threads (numpy releases the GIL); stages that draw
    (``draws = True``) keep going slice by slice in row order, so the decisions stay the
    same. The default is one thread: simfin parallelises across runs.
    """

    chunk_rows = 1 << 18
    threads = 1

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Decide every row of the batch."""
        if batch.n <= self.chunk_rows:
            batch = self._run(self.stages, batch, ctx)
        else:
            pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
            try:
                for stages, kind in self._groups(batch):
                    if kind == "whole":
                        batch = self._run(stages, batch, ctx)
                        continue
                    starts = range(0, batch.n, self.chunk_rows)
                    parts = (batch.view(start, min(start + self.chunk_rows, batch.n))
                             for start in starts)
                    run = partial(self._run, stages, ctx=ctx)
                    done = (pool.map(run, parts) if pool and kind == "parallel"
                            else map(run, parts))
                    for start, part in zip(starts, done, strict=True):
                        batch.absorb(part, start)
            finally:
                if pool:
                    pool.shutdown()
        decision = batch["decision"]
        decision += (decision == PENDING) * decision.dtype.type(APPROVED - PENDING)
        return batch

    def _groups(self, batch: ApplicationBatch) -> list[tuple[list[Stage], str]]:
        """Consecutive stages grouped by how they may run: ``whole`` (not row-wise),
        ``ordered`` (row-wise, draws random numbers) or ``parallel``.
        """
        groups: list[tuple[list[Stage], str]] = []
        for stage in self.stages:
            test = getattr(stage, "row_wise_for", None)
            row_wise = test(batch) if test else getattr(stage, "row_wise", False)
            kind = ("whole" if not row_wise else
                    "ordered" if getattr(stage, "draws", False) else "parallel")
            if groups and groups[-1][1] == kind:
                groups[-1][0].append(stage)
            else:
                groups.append(([stage], kind))
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
