"""The product stage: fit each application to the lender's product of its kind."""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch

PRODUCT_KINDS = ("instalment", "cash", "revolving")
AMOUNT_REASON = "AMOUNT"
REVOLVING = PRODUCT_KINDS.index("revolving")


class ProductStage:
    """Pipeline stage: clip amounts and terms to the product's limits and attach its fee.

    Needs above the product's maximum are offered the maximum; below the minimum they are
    declined (reason ``AMOUNT``). Terms are clipped to the product's range.

    A revolving credit line: a draw by a consumer who has a line (``line_limit_cents`` >
    0) is capped at the unused limit (``line_limit_cents - line_used_cents``); an
    applicant without one is offered a new line of ``limit_income_multiple`` months of
    stated income (at most the product's maximum), set in ``line_limit_cents``, and draws
    within it.

    Args:
        limits: Per product kind index: ``(min_amount, max_amount, min_term, max_term,
            fee_rate, limit_income_multiple)``; rows for kinds the lender does not offer
            are never routed to it.
        amount_reason: Index of ``AMOUNT`` in the lender's reason codes.
    """

    def __init__(self, limits: np.ndarray, amount_reason: int) -> None:
        self.limits = np.asarray(limits, dtype=np.float64)
        self.amount_reason = amount_reason

    def run(self, batch: ApplicationBatch, ctx: object = None) -> ApplicationBatch:
        """Add ``fee_rate``; clip ``amount_cents`` and ``term_days``."""
        lim = self.limits[batch["product"]]
        cap = lim[:, 1].copy()
        line = batch["product"] == REVOLVING
        if line.any():
            limit = batch["line_limit_cents"].astype(np.float64)
            new_line = line & (limit <= 0)
            limit[new_line] = np.minimum(lim[new_line, 5] * batch["stated_income_cents"][
                new_line], lim[new_line, 1]).round()
            batch["line_limit_cents"] = np.where(line, limit, 0).astype(np.int64)
            cap[line] = np.minimum(cap[line], limit[line] - batch["line_used_cents"][line])
        amount = np.minimum(batch["amount_cents"], cap)
        batch.decline(amount < lim[:, 0], self.amount_reason)
        batch["amount_cents"] = np.maximum(amount, 0).astype(np.int64)
        batch["term_days"] = np.clip(batch["term_days"], lim[:, 2], lim[:, 3]).astype(np.int32)
        batch["fee_rate"] = lim[:, 4].astype(np.float32)
        batch["amount_to_income"] = (batch["amount_cents"] / np.maximum(
            batch["stated_income_cents"], 1)).astype(np.float32)
        return batch
