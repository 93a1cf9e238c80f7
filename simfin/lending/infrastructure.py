"""The decision platform: daily capacity, latency under load, and its cost.

A fixed platform queues what it can and drops the rest at peaks; a cloud platform scales
elastically and pays a premium for the decisions above its base capacity.
"""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import LOST, ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage

CAPACITY_REASON = "CAPACITY"
MAX_UTILISATION = 0.95  # latency of a saturated queue is capped at base / (1 - this)


class CapacityStage(Stage):
    """Pipeline stage (first): admit what the platform can decide today.

    Args:
        kind: ``cloud`` or ``fixed``.
        capacity_per_day: Decisions per day at base cost.
        base_latency_minutes: Decision compute time at low load.
        cost_per_decision_cents: Compute cost per decision within capacity.
        elastic_premium: Cloud: cost multiplier above capacity.
        fixed_cost_per_day_cents: Cost per day whatever the load.
        reason_code: Index of ``CAPACITY`` in the lender's reason codes.
    """

    def __init__(self, kind: str, capacity_per_day: int, base_latency_minutes: float,
                 cost_per_decision_cents: float, elastic_premium: float,
                 fixed_cost_per_day_cents: int, reason_code: int) -> None:
        self.kind = kind
        self.capacity_per_day = capacity_per_day
        self.base_latency_minutes = base_latency_minutes
        self.cost_per_decision_cents = cost_per_decision_cents
        self.elastic_premium = elastic_premium
        self.fixed_cost_per_day_cents = fixed_cost_per_day_cents
        self.reason_code = reason_code

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Drop the excess on a fixed platform; add queueing latency; charge the platform."""
        n, cap = batch.n, self.capacity_per_day
        within, above = min(n, cap), max(n - cap, 0)
        cost = self.fixed_cost_per_day_cents + self.cost_per_decision_cents * within
        if self.kind == "fixed":
            if above:
                # Applications arrive in random order; those after the capacity is used up
                # are lost (the applicant gives up or goes elsewhere).
                lost = ctx.rng.permutation(n)[cap:]
                mask = np.zeros(n, dtype=bool)
                mask[lost] = True
                batch.decline(mask, self.reason_code, status=LOST)
            utilisation = min(n / cap, MAX_UTILISATION)
            latency = self.base_latency_minutes / (1.0 - utilisation)
        else:
            cost += self.cost_per_decision_cents * self.elastic_premium * above
            latency = self.base_latency_minutes
        batch["decision_minutes"] += np.float32(latency)
        batch.charge("infrastructure_cost", int(round(cost)))
        return batch
