"""The reward: the lender's profit over the interval, in yuan, or a documented variant.

Every reward starts from :func:`interval_profit_cents`, the lender's profit over the
interval after IFRS 9 provisions, as the recorder records it (``profit_after_provisions``:
interest + fees + recoveries - the net provision charge - funding, acquisition, data,
verification, service, collections, payment and platform costs; the change in its equity).
A loan's expected loss counts when it is booked and as its stage moves, so a policy is not
paid for lending that has not yet had time to go bad. Over a whole episode the ``profit``
rewards add up to the lender's profit after provisions over the run. The profit before
provisions (write-offs as the loss) stays in the observation and ``info``.

Variants (``reward=`` of the environments):

- ``profit``: the interval's profit after provisions.
- ``risk_adjusted``: the profit less ``risk_weight`` times the growth of the lender's
  30+ DPD balance over the interval: a loan that goes 30 days past due is counted as a loss
  when it gets there, and given back when it cures or is written off (its loss is in the
  profit, through the provision). Over an episode it is the profit less ``risk_weight`` x
  the 30+ DPD balance left at the end, so a policy cannot look good by lending late in the run.
- ``inclusion``: the profit plus ``inclusion_yuan`` per loan booked: a social value of
  credit granted, for studies of the trade-off between profit and access.
"""

from __future__ import annotations

from dataclasses import dataclass

from simfin.env.interval import PROFIT_COLUMN, Interval

REWARDS = ("profit", "risk_adjusted", "inclusion")


@dataclass(frozen=True)
class Reward:
    """How the reward is computed.

    Attributes:
        kind: One of :data:`REWARDS`.
        risk_weight: ``risk_adjusted``: yuan counted per yuan of growth of the 30+ DPD
            balance (1: the whole balance is lost).
        inclusion_yuan: ``inclusion``: yuan added per loan booked.
    """

    kind: str = "profit"
    risk_weight: float = 1.0
    inclusion_yuan: float = 50.0

    def __post_init__(self) -> None:
        if self.kind not in REWARDS:
            raise ValueError(f"reward: unknown reward {self.kind!r} (rewards: "
                             f"{', '.join(REWARDS)})")
        if not self.risk_weight >= 0.0:
            raise ValueError(f"risk_weight: must be >= 0, got {self.risk_weight}")
        if not self.inclusion_yuan >= 0.0:
            raise ValueError(f"inclusion_yuan: must be >= 0, got {self.inclusion_yuan}")

    def __call__(self, interval: Interval, lender: int, dpd30_before_cents: float) -> float:
        """The reward of lender ``lender`` (its index) for ``interval``, in yuan.

        Args:
            interval: What the market recorded over the interval.
            lender: The lender's index.
            dpd30_before_cents: Its 30+ DPD balance at the interval's start.
        """
        yuan = interval_profit_cents(interval, lender) / 100.0
        if self.kind == "risk_adjusted":
            growth = float(interval.ending["dpd30_balance"][lender]) - dpd30_before_cents
            yuan -= self.risk_weight * growth / 100.0
        elif self.kind == "inclusion":
            yuan += self.inclusion_yuan * int(interval.sums["loans"][lender])
        return float(yuan)


def interval_profit_cents(interval: Interval, lender: int) -> int:
    """The lender's profit over the interval after provisions, in cents, as recorded."""
    return int(interval.sums[PROFIT_COLUMN][lender])
