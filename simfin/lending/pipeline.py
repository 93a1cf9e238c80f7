"""A lender's decision pipeline: named stages, in order, over one ``ApplicationBatch``.

A pipeline is a list of ``(name, stage)`` steps, like scikit-learn's ``Pipeline``, checked
when it is built. Each stage is a :class:`Stage` with one entry point,
``run(batch, ctx) -> batch``; stages decline rows, and whatever is still pending after the
last stage is approved. A stage declares what the pipeline may do with it (``row_wise``,
``draws``) and, if it learns from outcomes (``learns``), receives them through
``observe(outcomes)``. Stages are registered by name (:data:`simfin.lending.STAGES`) and
assembled from a lender's config; ``docs/adding_a_stage.md`` walks through adding one.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from simfin.lending.batch import APPROVED, PENDING, ApplicationBatch


@dataclass(frozen=True)
class DecisionContext:
    """What a stage may know besides the batch: the day and the lender's random stream."""

    day: int
    rng: np.random.Generator


@dataclass(frozen=True)
class Outcomes:
    """What a lender has observed about loans it booked, for stages that learn.

    Attributes:
        day: The day the outcomes are observed.
        features: Model inputs at application, one row per loan, one column per name in
            ``simfin.lending.scoring.MODEL_FEATURES`` (float32, NaN = unknown); read-only
            (it may be a view of the lender's training data).
        bad: Whether each loan went 30+ days past due within the performance window.
        rejects: Model inputs of declined applications (as the lender saw them in its
            batches) for reject inference; None when the lender keeps none.
        records: The later records pulled of declined applications (a
            ``simfin.lending.reject_inference.LaterRecords``), for a method that reads
            them; None otherwise.
    """

    day: int
    features: np.ndarray
    bad: np.ndarray
    rejects: np.ndarray | None = None
    records: Any = None


class Stage:
    """Base class of a pipeline stage.

    Subclasses implement :meth:`run` and declare their capabilities as class attributes:

    - ``row_wise``: each row's outcome depends only on that row, so the pipeline may run the
      stage on consecutive slices of a large batch. A stage that is row-wise only on some
      batches overrides :meth:`row_wise_for` (asked of the batch as it enters the pipeline,
      so it may only look at columns that earlier stages leave alone).
    - ``draws``: a row-wise stage that draws random numbers from ``ctx.rng`` draws in row
      order, so that slices taken in order see the same draws (never run on threads).
    - ``learns``: the stage learns from the outcomes of booked loans through
      :meth:`observe`; until it has learned enough, :attr:`in_use` is False.

    As in scikit-learn, ``__init__`` stores parameters and what a stage learns while the
    market runs ends in ``_``; code outside a stage changes it only through its methods
    (e.g. :meth:`simfin.lending.pricing.PricingStage.set_policy`), never by assignment.
    """

    row_wise: ClassVar[bool] = False
    draws: ClassVar[bool] = False
    learns: ClassVar[bool] = False

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Read columns, add columns, decline rows; return the batch."""
        raise NotImplementedError

    def row_wise_for(self, batch: ApplicationBatch) -> bool:
        """Whether the stage is row-wise on this batch (by default: ``row_wise``)."""
        return self.row_wise

    def observe(self, outcomes: Outcomes) -> None:
        """Learn from observed outcomes (stages that declare ``learns``): called when the
        lender retrains (``Lender.retrain``); the scoring stage fits its estimator here.
        """

    @property
    def in_use(self) -> bool:
        """Whether what the stage learned now decides (always, for a stage that does not
        learn).
        """
        return not self.learns


Step = tuple[str, Stage]


def check_steps(steps: Iterable[Step]) -> list[Step]:
    """The steps as a list, or ValueError/TypeError saying what is wrong with them.

    Each step is a ``(name, stage)`` pair with a unique, non-empty name and a
    :class:`Stage` that implements ``run``.
    """
    steps = list(steps)
    seen: set[str] = set()
    for step in steps:
        if not (isinstance(step, tuple) and len(step) == 2):
            raise TypeError(f"a pipeline step is a (name, stage) pair, got {step!r}")
        name, stage = step
        if not isinstance(name, str) or not name:
            raise ValueError(f"pipeline step names are non-empty strings, got {name!r}")
        if name in seen:
            raise ValueError(f"pipeline step {name!r} appears twice")
        seen.add(name)
        if not isinstance(stage, Stage):
            raise TypeError(f"pipeline step {name!r}: {type(stage).__name__} is not a "
                            "simfin.lending.Stage")
        if type(stage).run is Stage.run:
            raise TypeError(f"pipeline step {name!r}: {type(stage).__name__} does not "
                            "implement run(batch, ctx)")
    return steps


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

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = check_steps(steps)

    @property
    def stages(self) -> list[Stage]:
        """The stages, in order."""
        return [stage for _, stage in self.steps]

    @property
    def names(self) -> list[str]:
        """The step names, in order."""
        return [name for name, _ in self.steps]

    def __getitem__(self, name: str) -> Stage:
        """The stage of the step called ``name``."""
        for step, stage in self.steps:
            if step == name:
                return stage
        raise KeyError(f"no pipeline step {name!r}; steps: {', '.join(self.names)}")

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def get(self, name: str, default: Stage | None = None) -> Stage | None:
        """The stage of the step called ``name``, or ``default`` if there is none."""
        return next((stage for step, stage in self.steps if step == name), default)

    @property
    def learners(self) -> list[Stage]:
        """The stages that learn from outcomes."""
        return [stage for stage in self.stages if stage.learns]

    def observe(self, outcomes: Outcomes) -> None:
        """Pass observed outcomes to every stage that learns."""
        for stage in self.learners:
            stage.observe(outcomes)

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
            kind = ("whole" if not stage.row_wise_for(batch) else
                    "ordered" if stage.draws else "parallel")
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
