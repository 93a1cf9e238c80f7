"""The product stage: fit each application to the lender's product of its kind."""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage

PRODUCT_KINDS = ("instalment", "cash", "revolving")
AMOUNT_REASON = "AMOUNT"
REVOLVING = PRODUCT_KINDS.index("revolving")
MAX_LINE_CENTS = 2**31 - 1  # line limits are kept in 32 bits (ProductConfig.max_amount_cents)


def _repeats(consumers: np.ndarray) -> bool:
    """Whether a consumer id occurs more than once (by marks in an id-indexed array)."""
    if len(consumers) < 2:
        return False
    seen = np.zeros(int(consumers.max()) + 1, dtype=bool)
    seen[consumers] = True
    return int(np.count_nonzero(seen)) < len(consumers)


def _share_line(consumers: np.ndarray, asked: np.ndarray, available: np.ndarray
                ) -> np.ndarray:
    """Draws by one consumer on one day share the line's unused limit, in batch order:
    each gets what the earlier ones left (the same as serving them one by one).
    """
    if not _repeats(consumers):
        return asked  # one draw per consumer: nothing to share (no sort needed)
    order = np.argsort(consumers, kind="stable")
    c, a = consumers[order], asked[order]
    start = np.r_[True, c[1:] != c[:-1]]
    total = np.cumsum(a)
    before = total - a - np.maximum.accumulate(np.where(start, total - a, 0))
    out = np.empty_like(asked)
    out[order] = np.clip(available[order] - before, 0, a)
    return out


class ProductStage(Stage):
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
        limit_multiplier: Factor on each product's largest loan and on the limit of a new
            line (the lender's credit-limit lever, set through
            :meth:`set_limit_multiplier`); at most :data:`MAX_LINE_CENTS` either way. A
            line already open keeps its limit.
    """

    # Row-wise unless one consumer draws on a line twice in the batch: then the draws share
    # its unused limit (see ``row_wise_for``).
    row_wise = False

    def __init__(self, limits: np.ndarray, amount_reason: int,
                 limit_multiplier: float = 1.0) -> None:
        self.limits = np.asarray(limits, dtype=np.float64)
        self.amount_reason = amount_reason
        self.limit_multiplier = float(limit_multiplier)
        # One small table per limit, looked up by product kind (integers where exact).
        whole = self.limits[:, :4].round().astype(np.int64)
        self._min_amount, self._max_amount = whole[:, 0], whole[:, 1]
        self._min_term = whole[:, 2].astype(np.int32)
        self._max_term = whole[:, 3].astype(np.int32)
        self._fee_rate = self.limits[:, 4].astype(np.float32)

    def set_limit_multiplier(self, limit_multiplier: float) -> None:
        """Scale the largest loan and a new line's limit by ``limit_multiplier`` from the
        next decision on (a lender's lever, :meth:`simfin.agents.lender.Lender.set_levers`).

        Raises:
            ValueError: A multiplier that is not positive and finite.
        """
        if not (np.isfinite(limit_multiplier) and limit_multiplier > 0.0):
            raise ValueError("limit_multiplier: must be a positive number, got "
                             f"{limit_multiplier}")
        self.limit_multiplier = float(limit_multiplier)

    def _scaled(self, cents: np.ndarray) -> np.ndarray:
        """Amounts times the limit multiplier, rounded, at most :data:`MAX_LINE_CENTS`."""
        if self.limit_multiplier == 1.0:
            return cents
        return np.minimum(np.round(cents * self.limit_multiplier), MAX_LINE_CENTS
                          ).astype(np.int64)

    def row_wise_for(self, batch: ApplicationBatch) -> bool:
        """Whether the stage is row-wise on this batch: no consumer draws twice on a line."""
        return not _repeats(batch["consumer"][batch["product"] == REVOLVING])

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Add ``fee_rate``; clip ``amount_cents`` and ``term_days``."""
        product = batch["product"]
        kind = product.astype(np.intp)  # take() converts small indices on every call
        cap = self._scaled(self._max_amount.take(kind))
        line = product == REVOLVING
        if line.any():
            rows = np.flatnonzero(line)
            limit = batch["line_limit_cents"][rows]
            new = rows[limit <= 0]  # applicants without a line are offered one
            offer = self.limits[REVOLVING]
            limit[limit <= 0] = self._scaled(np.minimum(
                offer[5] * batch["stated_income_cents"][new], offer[1]).round())
            # Other rows keep the applicant's line as stated (row by row, whatever the
            # batch holds besides).
            limits = batch["line_limit_cents"].astype(np.int64)
            limits[rows] = limit
            batch["line_limit_cents"] = limits
            cap[rows] = np.minimum(cap[rows], limit - batch["line_used_cents"][rows])
        amount = np.minimum(batch["amount_cents"], cap)
        if line.any():
            amount[rows] = _share_line(batch["consumer"][rows], amount[rows], cap[rows])
        batch.decline(amount < self._min_amount.take(kind), self.amount_reason)
        np.maximum(amount, 0, out=amount)
        batch["amount_cents"] = amount
        term = np.maximum(batch["term_days"], self._min_term.take(kind))
        batch["term_days"] = np.minimum(term, self._max_term.take(kind), out=term).astype(
            np.int32, copy=False)
        batch["fee_rate"] = self._fee_rate.take(kind)
        batch["amount_to_income"] = (amount / np.maximum(batch["stated_income_cents"], 1)
                                     ).astype(np.float32)
        return batch


def per_product(lenders: list, attribute: str, dtype: type = np.int64) -> np.ndarray:
    """A [lender, product kind] table of one product setting (0 where a lender does not
    offer the kind), from the lenders' configs read by attribute.
    """
    table = np.zeros((len(lenders), len(PRODUCT_KINDS)), dtype=dtype)
    for i, lender in enumerate(lenders):
        for product in lender.products:
            table[i, PRODUCT_KINDS.index(product.kind)] = getattr(product, attribute)
    return table
