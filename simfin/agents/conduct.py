"""Lenders that respond and capital that binds: who is in the market today, and why.

:class:`Conduct` is the market's record of each lender's standing and strategy (issue 24):

- **entry**: a lender enters on ``lenders.N.entry_day``; before it no applicant reaches it;
- **capital**: at the start of each lending day, on the books of the day before, its capital
  ratio (equity / risk-weighted exposure, ``policy.capital.risk_weight``: its outstanding
  loans, with funding partners the parts whose loss it bears) is
  checked against the regulator's minimum in force (``policy.min_capital_ratio``): below
  it the lender makes no new loan until it is back at the minimum; after
  ``policy.capital.exit_after_days`` days in a row below the floor it leaves the market
  for good (its book runs off: collected, funded and serviced as before);
- **funding**: likewise, a lender whose borrowed funding (own-book loans beyond its
  equity) exceeds ``policy.max_funding_multiple`` x its net worth makes no new loan, and
  funds no partner's, until it is back under (a deposit-taking bank,
  ``lenders.N.funding.deposit_funded``, is not capped);
- **strategies**: every ``review_every_days`` after entry, its registered strategy
  (:mod:`simfin.lending.strategies`) reviews what the lender observes (its own funnel and
  book over the window, its rivals' public offered prices) and sets its levers.

Every decision is an event with its reason (``events``; ``summary.json``'s
``strategy_decisions`` and ``capital_events``), and each day's standing is a column of
``steps.parquet`` (``capital_ratio``, ``lending_stopped``, ``in_market`` and the levers).
A market whose lenders are all ``fixed``, present from day 0 and under no capital rule has
no ``Conduct`` at all: it runs and records exactly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simfin.agents.lender import Quote
from simfin.config import MarketConfig
from simfin.indicators.recording import Recorder
from simfin.lending.co_lending import CoLending
from simfin.lending.ledger import Ledger
from simfin.lending.product import PRODUCT_KINDS
from simfin.lending.registry import STRATEGIES
from simfin.lending.strategies import Strategy, StrategyView

LEVERS = ("approval_threshold", "limit_multiplier", "price_markup")
OBSERVED = ("outstanding", "written_off", "recoveries", "loans", "active_loans",
            "dpd30_balance")
"""The recorded columns a strategy's view reads: the lender's own books, nothing a lender
cannot see (no fraud truth, no consumer's willingness)."""


def has_conduct(config: MarketConfig) -> bool:
    """Whether any lender has a strategy other than ``fixed``, enters after day 0, or the
    policy has a capital rule (a minimum ratio now or on its schedule).
    """
    policy = config.policy
    capital = policy.sets("min_capital_ratio") or policy.sets("max_funding_multiple")
    return capital or any(lc.strategy.kind != "fixed" or lc.entry_day > 0
                          for lc in config.lenders)


class Conduct:
    """Entry, capital standing and strategy reviews of every lender.

    Args:
        config: The market config.
        lenders: The lender agents, in config order (``levers()``/``set_levers``).
        ledger: The market's ledger (equity and outstanding loans per lender).
        recorder: The day's indicators (the lenders' own rows, read at reviews).

    Attributes:
        open: (n_lenders,) whether each lender lends today.
        in_market: (n_lenders,) entered and not left.
        stopped: (n_lenders,) in the market but below the minimum capital ratio.
        events: Every decision: ``{"day", "lender", "kind": "strategy" | "capital", ...}``.
    """

    def __init__(self, config: MarketConfig, lenders: list, ledger: Ledger,
                 recorder: Recorder, co_lending: CoLending | None = None) -> None:
        self.lenders, self.ledger, self.recorder = lenders, ledger, recorder
        self.co_lending = co_lending
        self.names = [lender.name for lender in lenders]
        n = len(lenders)
        self.entry_day = np.array([lc.entry_day for lc in config.lenders])
        self.capital = config.policy.capital
        self.strategies: list[Strategy | None] = [
            STRATEGIES.create(lc.strategy.kind, lc.strategy) for lc in config.lenders]
        for lender, strategy in zip(lenders, self.strategies, strict=True):
            if strategy is not None:  # a strategy's discount never goes below marginal cost
                for stage in lender.pricers:
                    stage.set_discount_floor(True)
        self.kinds = [lc.strategy.kind for lc in config.lenders]
        self.review_every = [lc.strategy.review_every_days for lc in config.lenders]
        self.in_market = self.entry_day <= 0
        self.left = np.zeros(n, dtype=bool)
        self.stopped = np.zeros(n, dtype=bool)
        self.over_funding = np.zeros(n, dtype=bool)  # over policy.max_funding_multiple
        self.funding_capped = np.array([not lc.funding.deposit_funded for lc in config.lenders])
        self.open = self.in_market.copy()
        self.days_below_floor = np.zeros(n, dtype=np.int64)
        self.events: list[dict[str, Any]] = []
        self._last_review = self.entry_day.copy()
        # The day's offers by (lender, product kind): made, taken, sum of all-in APR.
        self._offers: list[np.ndarray] = []
        self._today = np.zeros((3, n, len(PRODUCT_KINDS)))

    # -- the day -----------------------------------------------------------------------

    def start_day(self, day: int, min_ratio: float | None,
                  max_funding: float | None = None) -> None:
        """Before the day's applications: entries, the capital and funding checks,
        strategy reviews.
        """
        self._today = np.zeros_like(self._today)
        for i in np.flatnonzero((self.entry_day == day) & ~self.in_market & ~self.left):
            self.in_market[i] = True
            self._event(day, i, "capital", "entered_market", f"entry day {day}")
        self._check_capital(day, min_ratio)
        self._check_funding(day, max_funding)
        for i, strategy in enumerate(self.strategies):
            if strategy is not None and self.in_market[i] and \
                    day - self._last_review[i] >= self.review_every[i]:
                self._review(day, i, strategy)
        self.open = self.in_market & ~self.stopped & ~self.over_funding

    def exposure(self) -> np.ndarray:
        """Per lender, the outstanding principal whose credit loss it bears: its loans; with
        funding partners (:meth:`CoLending.exposure`), the loans on its books plus the
        partners' parts it guarantees, less its parts a partner bears. A guarantee moves
        the credit risk, so the capital held against it moves with it: Basel's credit
        risk mitigation substitutes the guarantor's risk for the guaranteed exposure, and
        a platform that guarantees its partners' shares cannot be "capital-light" in
        substance.
        """
        if self.co_lending is None:
            return self.ledger.balance("loans")
        return self.co_lending.exposure()

    def capital_ratio(self) -> np.ndarray:
        """Equity / risk-weighted exposure per lender (NaN: nothing outstanding)."""
        loans = self.exposure() * self.capital.risk_weight
        equity = self.ledger.balance("equity").astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(loans > 0, equity / np.maximum(loans, 1e-9), np.nan)

    def _check_capital(self, day: int, min_ratio: float | None) -> None:
        equity = self.ledger.balance("equity").astype(np.float64)
        weighted = self.exposure() * self.capital.risk_weight
        ratio = self.capital_ratio()

        def below(level: float) -> np.ndarray:
            return equity < level * weighted  # no division: a lender with no loans and
            # positive equity is never below, one with negative equity always is

        for i in np.flatnonzero(self.in_market):
            shown = "n/a (no loans)" if np.isnan(ratio[i]) else f"{ratio[i]:.4f}"
            if min_ratio is not None and below(min_ratio)[i] and not self.stopped[i]:
                self.stopped[i] = True
                self._event(day, i, "capital", "lending_stopped",
                            f"capital ratio {shown} < minimum {min_ratio:g}", ratio[i])
            elif self.stopped[i] and (min_ratio is None or not below(min_ratio)[i]):
                self.stopped[i] = False
                self._event(day, i, "capital", "lending_restored",
                            f"capital ratio {shown} >= minimum "
                            f"{'none' if min_ratio is None else f'{min_ratio:g}'}", ratio[i])
        floor = self.capital.floor_ratio if self.capital.floor_ratio is not None else min_ratio
        if self.capital.exit_after_days is None or floor is None:
            return
        under = below(floor) & self.in_market
        self.days_below_floor = np.where(under, self.days_below_floor + 1, 0)
        for i in np.flatnonzero(self.days_below_floor >= self.capital.exit_after_days):
            self.in_market[i], self.left[i], self.stopped[i] = False, True, False
            self._event(day, i, "capital", "left_market",
                        f"capital ratio below {floor:g} for {self.days_below_floor[i]} days "
                        f"(exit after {self.capital.exit_after_days})", ratio[i])
            self.days_below_floor[i] = 0

    def funding_multiple(self) -> np.ndarray:
        """Borrowed funding (the loans on a lender's own books beyond its equity, >= 0)
        over its net worth (equity) per lender; inf when its equity is not positive and it
        has loans.
        """
        loans = self.ledger.balance("loans").astype(np.float64)
        equity = self.ledger.balance("equity").astype(np.float64)
        borrowed = np.maximum(loans - equity, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(equity > 0, borrowed / np.maximum(equity, 1e-9),
                            np.where(loans > 0, np.inf, 0.0))

    def _check_funding(self, day: int, cap: float | None) -> None:
        """Stop a lender whose borrowed funding is over ``cap`` x its net worth (on the
        books of the day before), restore it once back under.
        """
        multiple = self.funding_multiple()
        for i in np.flatnonzero(self.in_market):
            over = cap is not None and self.funding_capped[i] and multiple[i] > cap
            if over and not self.over_funding[i]:
                self.over_funding[i] = True
                self._event(day, i, "capital", "lending_stopped",
                            f"borrowed funding {multiple[i]:.4f} x net worth > cap "
                            f"{cap:g}", self.capital_ratio()[i])
            elif self.over_funding[i] and not over:
                self.over_funding[i] = False
                self._event(day, i, "capital", "lending_restored",
                            f"borrowed funding {multiple[i]:.4f} x net worth <= cap "
                            f"{'none' if cap is None else f'{cap:g}'}",
                            self.capital_ratio()[i])
        self.over_funding &= self.in_market

    def _review(self, day: int, i: int, strategy: Strategy) -> None:
        lender = self.lenders[i]
        view = self.view(day, i)
        decision = strategy.review(view)
        before = lender.levers()
        if decision.levers:
            lender.set_levers(**decision.levers)
        self._last_review[i] = day
        self._event(day, i, "strategy", decision.action, decision.reason,
                    strategy=self.kinds[i], before=before, after=lender.levers())

    def view(self, day: int, i: int) -> StrategyView:
        """What lender ``i`` observes at a review on ``day`` (see :class:`StrategyView`)."""
        window = int(day - self._last_review[i])
        recent = {c: self.recorder.recent(c, window)[:, i] for c in OBSERVED}
        offers = np.sum(self._offers[-window:], axis=0) if window and self._offers else \
            np.zeros_like(self._today)
        made, taken, apr_sum = offers
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(made > 0, apr_sum / np.maximum(made, 1), np.nan)
        rivals = [r for r in range(len(self.lenders)) if r != i]
        return StrategyView(
            day=day, window_days=window, levers=self.lenders[i].levers(),
            active_loans=int(recent["active_loans"][-1]) if window else 0,
            outstanding_cents=int(recent["outstanding"][-1]) if window else 0,
            dpd30_balance_cents=int(recent["dpd30_balance"][-1]) if window else 0,
            average_outstanding_cents=float(recent["outstanding"].mean())
            if len(recent["outstanding"]) else 0.0,
            net_loss_cents=int(recent["written_off"].sum() - recent["recoveries"].sum()),
            loans=int(recent["loans"].sum()), offers=made[i], offers_taken=taken[i],
            own_price=price[i], rival_names=[self.names[r] for r in rivals],
            rival_offers=made[rivals], rival_prices=price[rivals])

    def note_offers(self, quote: Quote, taken: np.ndarray) -> None:
        """One lender's offers of the day and the rows of its batch taken: its funnel by
        product kind, and the all-in APRs it publicly offered.
        """
        batch, lender = quote.batch, quote.lender.index
        products, aprs = batch["product"][quote.offers], batch["all_in_apr"][quote.offers]
        taken_products = batch["product"][taken]
        k = len(PRODUCT_KINDS)
        self._today[0, lender] += np.bincount(products, minlength=k)[:k]
        self._today[1, lender] += np.bincount(taken_products, minlength=k)[:k]
        self._today[2, lender] += np.bincount(products, weights=aprs, minlength=k)[:k]

    def end_day(self, day: int) -> None:
        """Close the day: keep its offers, note the standing columns of ``steps``."""
        self._offers.append(self._today)
        self._today = np.zeros_like(self._today)
        levers = [lender.levers() for lender in self.lenders]
        columns = {"capital_ratio": self.capital_ratio(),
                   "lending_stopped": self.stopped | self.over_funding,
                   "in_market": self.in_market.copy()}
        for name in LEVERS:
            columns[name] = np.array([np.nan if lv[name] is None else lv[name]
                                      for lv in levers], dtype=np.float64)
        self.recorder.note_lenders(columns)

    def _event(self, day: int, i: int, kind: str, action: str, reason: str,
               ratio: float | None = None, **extra: Any) -> None:
        event: dict[str, Any] = {"day": int(day), "lender": self.names[i], "kind": kind,
                                 "action": action, "reason": reason}
        if ratio is not None:
            event["capital_ratio"] = None if np.isnan(ratio) else float(ratio)
        event.update(extra)
        self.events.append(event)

    def record(self) -> dict[str, list[dict[str, Any]]]:
        """``summary.json``'s ``strategy_decisions`` and ``capital_events``, in day order."""
        return {"strategy_decisions": [e for e in self.events if e["kind"] == "strategy"],
                "capital_events": [e for e in self.events if e["kind"] == "capital"]}
