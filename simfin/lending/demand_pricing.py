"""Demand-based ("optimised") pricing: the price that maximises the expected profit of each
offer, given the lender's own estimate of how take-up falls with the price.

A cost-plus price (:func:`simfin.lending.pricing.risk_based_apr`) is what a loan must earn
to cover its full cost, but when an offer is priced its acquisition, data and verification
are already paid (sunk), and the applicant compares it with other lenders' offers and with
not borrowing. What the lender can still gain from the offer is

    P(take-up | APR, segment) x (APR - marginal cost rate) x principal x average life

where the marginal cost rate is funding + operating cost + the lifetime expected loss at the
grade's PD + the booking cost per loan, per year of average balance (the floor under which
:func:`~simfin.lending.pricing.capped_price` declines a loan under the cap). Principal and
life do not depend on the APR, so the best APR maximises ``P(r) (r - m)`` (R. Phillips,
*Pricing Credit Products*, ch. 5-6). With a logistic take-up ``P(r) = 1 / (1 + exp(-(a + b r)))``,
``b < 0``, the first-order condition ``beta (r - m) = 1 + exp(a - beta r)`` (``beta = -b``)
has the closed form

    r* = m + (1 + W(exp(a - beta m - 1))) / beta

with ``W`` the Lambert W function (``scipy.special.wrightomega`` gives ``W(exp(z))`` without
overflow). The profit is single-peaked in ``r`` above ``m``, so the best price under bounds
is ``r*`` clipped to them: never over the cap, never under the marginal cost.

``P`` is the lender's own estimate: a logistic regression (scikit-learn) of whether an offer
was taken on its all-in APR and segment features (PD, term, amount, share of the ask
offered, online, age, product), fitted on the offers of a trailing window on the lender's
retraining schedule. Prices that follow the PD alone cannot separate the effect of the price
from that of the segment, so a share of offers carries a random price change (a price test,
drawn from the lender's seeded stream). Until the model has seen enough scored offers, or
when its fitted price effect is not negative, the lender prices as ``risk_based`` does
(cold start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simfin.lending.pricing import risk_based_apr
from simfin.lending.product import PRODUCT_KINDS
from simfin.lending.registry import register_pricing

# What the take-up model reads of an offer besides its price (names of the feature columns).
SEGMENT_FEATURES = ("pd", "log_term_days", "log_amount", "log_offered_share", "online",
                    "age_years", *(f"product_{kind}" for kind in PRODUCT_KINDS[1:]))
# Columns of an application batch that the segment features need besides PD, term, amount.
SEGMENT_COLUMNS = ("asked_cents", "online", "age_years", "product")


def segment_features(pd_: np.ndarray, term_days: np.ndarray, amount_cents: np.ndarray,
                     segment: Mapping[str, np.ndarray]) -> np.ndarray:
    """The take-up model's segment features, one row per offer (float64, columns in
    :data:`SEGMENT_FEATURES` order).

    Args:
        pd_: Predicted default probability.
        term_days: The loan's term.
        amount_cents: The amount offered.
        segment: The application's ``online``, ``age_years``, ``product`` and
            ``asked_cents`` (columns of an :class:`~simfin.lending.batch.ApplicationBatch`;
            without ``asked_cents``, a batch that no market has routed, the whole ask is
            taken as offered).
    """
    amount = np.maximum(np.asarray(amount_cents, dtype=np.float64), 1.0)
    asked = (np.maximum(np.asarray(segment["asked_cents"], dtype=np.float64), 1.0)
             if "asked_cents" in segment else amount)
    product = np.asarray(segment["product"])
    return np.column_stack([
        np.asarray(pd_, dtype=np.float64),
        np.log(np.maximum(np.asarray(term_days, dtype=np.float64), 1.0)),
        np.log(amount),
        np.log(np.minimum(amount / asked, 1.0)),
        np.asarray(segment["online"], dtype=np.float64),
        np.asarray(segment["age_years"], dtype=np.float64),
        *((product == k).astype(np.float64) for k in range(1, len(PRODUCT_KINDS)))])


def optimal_apr(intercept: np.ndarray, price_slope: float, marginal_rate: np.ndarray,
                lower: np.ndarray, upper: np.ndarray | float) -> np.ndarray:
    """The all-in APR that maximises ``P(r) (r - m)`` for a logistic take-up
    ``P(r) = sigmoid(intercept + price_slope r)``, within ``[lower, upper]``.

    Args:
        intercept: The take-up log-odds of each offer at an APR of 0.
        price_slope: Change of the take-up log-odds per unit of APR (negative).
        marginal_rate: ``m``, the marginal cost of each offer per year of average balance.
        lower: Lowest price of each offer (the marginal-cost floor).
        upper: Highest price (the cap).

    Returns:
        The best price of each offer (``upper`` where ``price_slope`` is not negative: the
        take-up does not fall with the price).
    """
    from scipy.special import wrightomega  # W(exp(z)) without overflow

    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), np.shape(marginal_rate))
    if price_slope >= 0:
        return upper.copy()
    beta = -price_slope
    z = np.asarray(intercept, dtype=np.float64) - beta * marginal_rate - 1.0
    best = marginal_rate + (1.0 + np.real(wrightomega(z))) / beta
    return np.minimum(np.maximum(best, lower), upper)


class TakeUpModel:
    """P(take-up | all-in APR, segment): a logistic regression with one price slope.

    Features are standardised before the fit (so that the L2 penalty treats them alike);
    :meth:`zero_apr_log_odds` and :attr:`price_slope_` give the fitted log-odds on the
    original scale, which is what the price choice needs.

    Args:
        regularisation: scikit-learn's ``C`` (inverse L2 strength) on standardised features.

    Attributes:
        price_slope_: Change of the take-up log-odds per unit of all-in APR (0: not fitted).
        coef_: Log-odds per unit of APR and of each segment feature, on the original scale
            (None: not fitted).
        intercept_: Log-odds at an APR of 0 and zero segment features.
    """

    def __init__(self, regularisation: float = 1.0) -> None:
        self.regularisation = regularisation
        self.price_slope_: float = 0.0
        self.coef_: np.ndarray | None = None
        self.intercept_ = 0.0

    @property
    def fitted(self) -> bool:
        """Whether a fit succeeded."""
        return self.coef_ is not None

    def fit(self, apr: np.ndarray, segment: np.ndarray, taken: np.ndarray) -> bool:
        """Fit on offers (their all-in APR, segment features, and whether they were taken).

        Returns:
            False (the previous fit is kept) when the offers are all taken or all refused.
        """
        from sklearn.linear_model import LogisticRegression

        taken = np.asarray(taken, dtype=bool)
        if taken.all() or not taken.any():
            return False
        x = np.column_stack([np.asarray(apr, dtype=np.float64), segment])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        fit = LogisticRegression(C=self.regularisation, max_iter=500)
        fit.fit((x - mean) / scale, taken)
        coef = fit.coef_[0] / scale
        self.coef_ = coef
        self.intercept_ = float(fit.intercept_[0] - coef @ mean)
        self.price_slope_ = float(coef[0])
        return True

    def zero_apr_log_odds(self, segment: np.ndarray) -> np.ndarray:
        """Take-up log-odds of each offer at an APR of 0."""
        return self.intercept_ + segment @ self.coef_[1:]

    def probability(self, apr: np.ndarray, segment: np.ndarray) -> np.ndarray:
        """Estimated take-up probability of each offer at ``apr``."""
        logit = (self.zero_apr_log_odds(segment)
                 + self.price_slope_ * np.asarray(apr, np.float64))
        return 1.0 / (1.0 + np.exp(-logit))


@dataclass
class DemandPricer:
    """The learning part of the optimised policy: offers observed, the take-up model, and
    the price it chooses.

    Args:
        min_offers: Scored offers needed before the take-up model prices (cold start).
        window_days: Offers older than this are left out of the fit.
        refit_every_days: Days between fits (the lender's retraining schedule).
        price_test_share: Share of scored offers whose price is changed at random.
        price_test_width: Largest price change of a test, up or down (all-in APR).
        max_apr: Highest all-in APR chosen where no APR cap is in force.
        regularisation: ``C`` of the take-up fit.

    Attributes:
        model: The take-up model (fitted in :meth:`refit`).
        since_day_: The first day the take-up model priced (None: not yet).
        tested_prices_: Prices a price test has moved so far.
        observed_days_: The day of each day's offers in the window.
        observed_offers_: Each day's scored offers in the window: (all-in APR, segment
            features, taken).
    """

    min_offers: int
    window_days: int
    refit_every_days: int
    price_test_share: float
    price_test_width: float
    max_apr: float
    regularisation: float = 1.0
    model: TakeUpModel = field(init=False)
    since_day_: int | None = field(init=False, default=None)
    tested_prices_: int = field(init=False, default=0)
    observed_days_: list[int] = field(init=False, default_factory=list)
    observed_offers_: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.model = TakeUpModel(self.regularisation)

    @property
    def live(self) -> bool:
        """Whether the take-up model sets the prices (a fit with a falling take-up)."""
        return self.model.fitted and self.model.price_slope_ < 0

    @property
    def draws(self) -> bool:
        """Whether pricing draws random numbers (price tests are on)."""
        return self.price_test_share > 0

    def observe(self, day: int, batch: Mapping[str, np.ndarray], offers: np.ndarray,
                accepted: np.ndarray) -> None:
        """Record the day's offers and which were taken; refit on schedule.

        Args:
            day: The day of the offers.
            batch: The decided batch (``pd``, ``all_in_apr`` and the segment columns).
            offers: Rows of ``batch`` that were offered.
            accepted: Rows of ``batch`` whose applicant took the offer.
        """
        scored = offers[~np.isnan(batch["pd"][offers])]
        if len(scored):
            taken = np.isin(scored, accepted)
            seg = {k: batch[k][scored] for k in SEGMENT_COLUMNS if k in batch}
            x = segment_features(batch["pd"][scored], batch["term_days"][scored],
                                 batch["amount_cents"][scored], seg)
            self.observed_days_.append(day)
            self.observed_offers_.append((batch["all_in_apr"][scored].astype(np.float64), x,
                                          taken))
        if day % self.refit_every_days == 0:
            self.refit(day)

    def refit(self, day: int) -> None:
        """Fit the take-up model on the offers of the window, if there are enough."""
        keep = [i for i, d in enumerate(self.observed_days_) if day - d < self.window_days]
        self.observed_days_ = [self.observed_days_[i] for i in keep]
        self.observed_offers_ = [self.observed_offers_[i] for i in keep]
        if self.n_offers < self.min_offers:
            return
        apr, x, taken = (np.concatenate(parts)
                         for parts in zip(*self.observed_offers_, strict=True))
        if self.model.fit(apr, x, taken) and self.live and self.since_day_ is None:
            self.since_day_ = day

    @property
    def n_offers(self) -> int:
        """Scored offers in the window."""
        return sum(len(o[2]) for o in self.observed_offers_)

    def price(self, ask: np.ndarray, marginal: np.ndarray, lower: np.ndarray,
              upper: np.ndarray | float, pd_: np.ndarray, term_days: np.ndarray,
              amount_cents: np.ndarray, segment: Mapping[str, np.ndarray] | None,
              tests: np.ndarray | None) -> np.ndarray:
        """All-in APR of each row: the best price once live (the cost-plus ``ask`` until
        then), then the price tests; scored rows only, within ``[lower, upper]``.

        Args:
            ask: The cost-plus all-in APR (already lowered to the cap).
            marginal: The marginal cost rate of each row.
            lower: The marginal-cost floor of each row.
            upper: The cap (or ``max_apr``).
            pd_: PD (NaN: unscored, left at ``ask``).
            term_days: The loan's term.
            amount_cents: The amount offered.
            segment: The segment columns (:data:`SEGMENT_COLUMNS`).
            tests: (n, 2) uniforms of the price tests (None: no tests).
        """
        scored = ~np.isnan(pd_)
        price = np.asarray(ask, dtype=np.float64).copy()
        if self.live and scored.any():
            if segment is None:
                raise ValueError("optimised pricing needs the segment columns "
                                 f"{', '.join(SEGMENT_COLUMNS)}")
            x = segment_features(pd_, term_days, amount_cents, segment)[scored]
            up = np.broadcast_to(np.asarray(upper, dtype=np.float64), price.shape)[scored]
            price[scored] = optimal_apr(self.model.zero_apr_log_odds(x),
                                        self.model.price_slope_, marginal[scored],
                                        lower[scored], up)
        if tests is not None and self.draws:
            tested = scored & (tests[:, 0] < self.price_test_share)
            shift = (2.0 * tests[:, 1] - 1.0) * self.price_test_width
            moved = np.minimum(np.maximum(price + shift, lower), upper)
            self.tested_prices_ += int(np.count_nonzero(tested & (moved != price)))
            price = np.where(tested, moved, price)
        return price


def demand_pricer(config: Any, refit_every_days: int) -> DemandPricer:
    """The optimised policy's learner from ``PricingConfig.optimised``."""
    return DemandPricer(config.min_offers, config.window_days, refit_every_days,
                        config.price_test_share, config.price_test_width, config.max_apr,
                        config.regularisation)


@register_pricing("optimised")
def optimised_apr(pd_: np.ndarray, term_days: np.ndarray, *, flat_apr: float,
                  loss_given_bad: float, cost_rate: np.ndarray | float) -> np.ndarray:
    """The cost-plus price of ``risk_based``: the optimised policy's cold start and its
    marginal-cost floor; once its take-up model is live the pricing stage replaces it by the
    profit-maximising price (:meth:`DemandPricer.price`).
    """
    return risk_based_apr(pd_, term_days, flat_apr=flat_apr, loss_given_bad=loss_given_bad,
                          cost_rate=cost_rate)


optimised_apr.prices_risk = True
optimised_apr.learner = demand_pricer  # the pricing stage's DemandPricer
