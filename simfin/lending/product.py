"""The product stage: fit each application to the lender's product of its kind."""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch

PRODUCT_KINDS = ("instalment", "cash", "revolving")
AMOUNT_REASON = "AMOUNT"


class ProductStage:
    """Pipeline stage: clip amounts and terms to the product's limits and attach its fee.

    Needs above the product's maximum are offered the maximum; below the minimum they are
    declined (reason ``AMOUNT``). Terms are clipped to the product's range.

    Args:
        limits: Per product kind index: ``(min_amount, max_amount, min_term, max_term,
            fee_rate)``; rows for kinds the lender does not offer are never routed to it.
        amount_reason: Index of ``AMOUNT`` in the lender's reason codes.
    """

    def __init__(self, limits: np.ndarray, amount_reason: int) -> None:
        self.limits = np.asarray(limits, dtype=np.float64)
        self.amount_reason = amount_reason

    def run(self, batch: ApplicationBatch, ctx: object = None) -> ApplicationBatch:
        """Add ``fee_rate``; clip ``amount_cents`` and ``term_days``."""
        lim = self.limits[batch["product"]]
        amount = batch["amount_cents"]
        batch.decline(amount < lim[:, 0], self.amount_reason)
        batch["amount_cents"] = np.minimum(amount, lim[:, 1]).astype(np.int64)
        batch["term_days"] = np.clip(batch["term_days"], lim[:, 2], lim[:, 3]).astype(np.int32)
        batch["fee_rate"] = lim[:, 4].astype(np.float32)
        batch["amount_to_income"] = (batch["amount_cents"] / np.maximum(
            batch["stated_income_cents"], 1)).astype(np.float32)
        return batch
