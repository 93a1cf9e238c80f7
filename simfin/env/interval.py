"""A decision interval: the market run for a number of days, and what it recorded.

:func:`run_interval` steps the model day by day and sums the recorder's daily counts and
ledger flows per lender (:data:`SUMMED`), keeps the balances at the interval's end
(:data:`ENDING`) and the prices of the loans booked in it. Everything comes from the
recorder, the ledger and the loan book as a ``simfin run`` writes them; the environment
adds no bookkeeping of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simfin.indicators.recording import BALANCES, COUNTS
from simfin.lending.ledger import KINDS
from simfin.model import MarketModel

PROFIT_COLUMN = "profit_after_provisions"
"""The recorder column the environments pay as the lender's profit (the reward, and the
``profit_after_provisions`` observations): profit after IFRS 9 provisions, the change in
equity, in which a loan's expected loss counts when it is booked and when its stage moves,
not only when it is written off."""
PROFIT_BEFORE_PROVISIONS = "profit"
"""The recorder's profit before provisions (write-offs net of recoveries as the loss), kept
in the observation (``profit_yuan``) and ``info`` (``profit_cents``) beside the reward's."""
SUMMED = COUNTS + KINDS + tuple(dict.fromkeys((PROFIT_BEFORE_PROVISIONS, PROFIT_COLUMN)))
"""Recorder columns summed over the interval's days (counts, and ledger flows in cents)."""
ENDING = BALANCES
"""Recorder columns read on the interval's last day (balances in cents, satisfaction...)."""


@dataclass
class Interval:
    """What the market recorded over one decision interval, per lender (config order).

    Attributes:
        first_day: The interval's first day.
        days: Days run (0 for the blank interval before the first step).
        sums: :data:`SUMMED` columns, summed over the days (int64 or float64 arrays).
        ending: :data:`ENDING` columns on the last day.
        loans_booked: Loans each lender booked in the interval.
        apr_sum: Sum of the all-in APR of those loans (their mean is the price consumers
            took).
    """

    first_day: int
    n_lenders: int
    days: int = 0
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    ending: dict[str, np.ndarray] = field(default_factory=dict)
    loans_booked: np.ndarray | None = None
    apr_sum: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.n_lenders
        if not self.sums:
            self.sums = {k: np.zeros(n, dtype=np.int64) for k in SUMMED}
        if not self.ending:
            self.ending = {k: np.zeros(n, dtype=np.float64) for k in ENDING}
        if self.loans_booked is None:
            self.loans_booked = np.zeros(n, dtype=np.int64)
        if self.apr_sum is None:
            self.apr_sum = np.zeros(n, dtype=np.float64)

    def total(self, column: str, lender: int) -> int | float:
        """One summed column of one lender, as a Python number."""
        return self.sums[column][lender].item()

    def mean_apr(self, lenders: np.ndarray | list[int]) -> float:
        """The mean all-in APR of the loans these lenders booked in the interval (0: none)."""
        loans = int(self.loans_booked[lenders].sum())
        return float(self.apr_sum[lenders].sum() / loans) if loans else 0.0

    def approval_rate(self, lenders: np.ndarray | list[int]) -> float:
        """Approvals / decided applications of these lenders together (0: none decided)."""
        decided = int(self.sums["approvals"][lenders].sum()
                      + self.sums["declined"][lenders].sum()
                      + self.sums["referred"][lenders].sum())
        return float(self.sums["approvals"][lenders].sum() / decided) if decided else 0.0

    def indicators(self, lender: int) -> dict[str, int | float]:
        """The interval's full record of one lender: summed columns, then ending balances
        (money in cents, as in ``steps.parquet``).
        """
        out: dict[str, int | float] = {k: self.sums[k][lender].item() for k in SUMMED}
        out.update({k: self.ending[k][lender].item() for k in ENDING})
        out["days"] = self.days
        return out


def run_interval(model: MarketModel, days: int) -> Interval:
    """Run the model for ``days`` days (fewer if the run ends first) and return what it
    recorded.
    """
    recorder, book = model.recorder, model.book
    n = len(model.lenders)
    interval = Interval(first_day=model.day, n_lenders=n)
    first_loan = len(book)
    for _ in range(days):
        if not model.running:
            break
        model.step()
        for column in SUMMED:
            interval.sums[column] += recorder.today(column)
        interval.days += 1
    if interval.days:
        interval.ending = {k: np.asarray(recorder.today(k), dtype=np.float64).copy()
                           for k in ENDING}
    else:
        interval.ending["equity"] = model.ledger.balance("equity").astype(np.float64)
    rows = slice(first_loan, len(book))
    lenders = book.column("lender")[rows]
    interval.loans_booked = np.bincount(lenders, minlength=n).astype(np.int64)
    interval.apr_sum = np.bincount(lenders, weights=book.column("apr")[rows], minlength=n)
    return interval
