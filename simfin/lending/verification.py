"""Biometric identity verification (face, voice, iris): an online replacement for the
in-person check. It stops identity fraud at the cost of rejecting some genuine applicants.
"""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage

VERIFY_REASON = "VERIFY_FAIL"


class VerificationStage(Stage):
    """Pipeline stage: a biometric check on every pending row.

    This stage simulates a physical check, so it reads the ground-truth column
    ``truth_is_fraud`` (rules and models cannot: it is not an application field). An
    impostor passes with the false-accept rate, a genuine applicant fails with the
    false-reject rate.

    Args:
        method: ``face``, ``voice`` or ``iris``.
        false_accept_rate: Share of impostors accepted.
        false_reject_rate: Share of genuine applicants rejected.
        latency_minutes: Minutes the check adds to the decision.
        cost_cents: Price of one check.
        reason_code: Index of ``VERIFY_FAIL`` in the lender's reason codes.
    """

    row_wise = True
    draws = True  # one uniform per pending row, in row order

    def __init__(self, method: str, false_accept_rate: float, false_reject_rate: float,
                 latency_minutes: float, cost_cents: int, reason_code: int) -> None:
        self.method = method
        self.false_accept_rate = false_accept_rate
        self.false_reject_rate = false_reject_rate
        self.latency_minutes = latency_minutes
        self.cost_cents = cost_cents
        self.reason_code = reason_code

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Verify the pending rows; decline the failures; charge ``verification_cost``."""
        pending = batch.pending
        rows = np.flatnonzero(pending)
        if len(rows) == 0:
            return batch
        everyone = len(rows) == batch.n
        impostor = batch["truth_is_fraud"] if everyone else batch["truth_is_fraud"][rows]
        u = ctx.rng.random(len(rows))  # one draw per pending row, in row order
        passes = (impostor & (u < self.false_accept_rate)) | (
            ~impostor & (u >= self.false_reject_rate))
        if everyone:
            fail = ~passes
        else:
            fail = np.zeros(batch.n, dtype=bool)
            fail[rows[~passes]] = True
        batch.decline(fail, self.reason_code)
        batch["decision_minutes"] += pending * np.float32(self.latency_minutes)
        batch.charge("verification_cost", len(rows) * self.cost_cents)
        return batch
