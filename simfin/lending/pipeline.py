"""A lender's decision pipeline: ordered stages over one ``ApplicationBatch``.

Each stage is a small object with one entry point, ``run(batch, ctx) -> batch``. Stages
decline rows; whatever is still pending after the last stage is approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from simfin.lending.batch import APPROVED, ApplicationBatch


@dataclass
class DecisionContext:
    """What a stage may know besides the batch: the day and the lender's random stream."""

    day: int
    rng: np.random.Generator
    extra: dict = field(default_factory=dict)


class Stage(Protocol):
    """The interface of a pipeline stage."""

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Read columns, add columns, decline rows; return the batch."""
        ...


class Pipeline:
    """Runs stages in order and approves what survives them."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Decide every row of the batch."""
        for stage in self.stages:
            batch = stage.run(batch, ctx)
        batch["decision"][batch.pending] = APPROVED
        return batch

    def stage(self, kind: type) -> Stage | None:
        """The first stage of a class, or None."""
        return next((s for s in self.stages if isinstance(s, kind)), None)
