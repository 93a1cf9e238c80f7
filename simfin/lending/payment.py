"""Payment rails: disbursement, merchant payment, and instalment collection.

A rail has a latency, a failure rate and a fee. A failed disbursement is retried (the money
arrives one latency later); a failed auto-debit is retried on the next days before the
instalment counts as missed (see :class:`~simfin.lending.repayments.Servicer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage

# A failed transfer is noticed and re-sent after this many minutes, then takes the rail's
# latency again.
RETRY_DELAY_MINUTES = 30.0


@dataclass(frozen=True)
class Rail:
    """One payment rail."""

    name: str
    latency_minutes: float
    failure_rate: float
    fee_cents: int

    def transfer(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Send ``n`` transfers; returns minutes until each arrives and the total fees.

        A failed transfer is retried until it goes through; each attempt pays the fee.
        """
        attempts = rng.geometric(1.0 - min(self.failure_rate, 0.999), n)
        minutes = attempts * self.latency_minutes + (attempts - 1) * RETRY_DELAY_MINUTES
        return minutes.astype(np.float32), int(attempts.sum()) * self.fee_cents


class DisbursementStage(Stage):
    """Sends the money of the loans taken up: to the consumer (cash) or the merchant
    (scenario loans). Adds ``disbursement_minutes``; charges ``payment_fees``.

    It runs on the batch of loans being booked, after the applicant accepted the offer.
    """

    def __init__(self, rail: Rail) -> None:
        self.rail = rail

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Disburse every row of the batch."""
        minutes, fees = self.rail.transfer(batch.n, ctx.rng)
        batch["disbursement_minutes"] = minutes
        batch.charge("payment_fees", fees)
        return batch
