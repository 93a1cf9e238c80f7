"""Shopping for credit: a need reaches one or more lenders, and the consumer takes the
offer that is best for them, or none.

Routing: each need goes to a primary lender (brand, and loyalty of returning customers)
and, with the shop-around probability of its kind (online or offline), to every other
lender that sells its product and has not declined it yet. Choice: among the approved
offers of one need, a multinomial logit with an outside option (not borrowing), drawn as
Gumbel-max so that it is vectorised over the day's offers. Price sensitivity varies by
cohort and region (``behaviour.choice``), so a lender that prices better for a segment
gains volume there.
"""

from __future__ import annotations

import numpy as np

from simfin.agents.channel import weighted_pick
from simfin.config.behaviour import ChoiceBehaviour
from simfin.lending.product import REVOLVING


def route(products: np.ndarray, online: np.ndarray, tried: np.ndarray, brand: np.ndarray,
          sells: np.ndarray, loyalty: np.ndarray, choice: ChoiceBehaviour,
          rng: np.random.Generator, amounts: np.ndarray, min_amounts: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """The (need, lender) pairs of the day's applications.

    Args:
        products: Product kind of each need.
        online: Whether each need arose online.
        tried: (n, n_lenders) lenders each need has already applied to (re-applications).
        brand: (n_lenders,) brand weights.
        sells: (n_lenders, n_products) whether each lender sells each product kind.
        loyalty: (n, n_lenders) factor on the choice of a lender already borrowed from.
        choice: ``behaviour.choice``.
        rng: The model's random stream.
        amounts: The amount each need asks for, in cents.
        min_amounts: (n_lenders, n_products) the smallest loan of each lender's product:
            a consumer does not apply for less than a lender's app lets them ask for (nor
            does the lender pay a channel for such an application).

    Returns:
        ``(need, lender)`` index arrays, ordered by need, then lender.
    """
    n, k = tried.shape
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    eligible = sells.T[products] & ~tried  # (n, n_lenders)
    eligible &= np.asarray(amounts)[:, None] >= min_amounts.T[products]
    primary = weighted_pick(brand[None, :] * eligible * loyalty, rng)
    shop = np.where(online, choice.shop_around_online, choice.shop_around_offline)
    reached = eligible & (rng.random((n, k)) < shop[:, None])
    reached[np.arange(n), primary] |= primary >= 0  # a need nobody offers goes nowhere
    # np.nonzero's (row, column) pairs, from the flat positions (3x faster on (n, k)).
    need, lender = np.divmod(np.flatnonzero(reached), k)
    return need, lender


def line_lender(line_limits: np.ndarray, consumers: np.ndarray, products: np.ndarray,
                any_lines: bool) -> np.ndarray:
    """For each revolving need, the lender where the consumer holds a line (the largest
    limit), or -1 (no line, or not a revolving need).

    Args:
        line_limits: (n_consumers, n_lenders) each consumer's line limit at each lender.
        consumers: The consumer of each need.
        products: The product kind of each need.
        any_lines: Whether any lender sells revolving lines (none: every need gets -1).
    """
    out = np.full(len(consumers), -1, dtype=np.int16)
    rows = np.flatnonzero(products == REVOLVING)
    if len(rows) == 0 or not any_lines:
        return out
    limits = line_limits.take(consumers.take(rows), axis=0)
    out[rows] = np.where(limits.max(axis=1) > 0, limits.argmax(axis=1), -1)
    return out


def price_sensitivity(cohort: np.ndarray, region: np.ndarray, choice: ChoiceBehaviour
                      ) -> np.ndarray:
    """Utility lost per unit of all-in APR, by the consumer's cohort and region."""
    return (choice.price_sensitivity * np.asarray(choice.price_by_cohort).take(cohort)
            * np.asarray(choice.price_by_region).take(region))


def utility(all_in_apr: np.ndarray, offered_cents: np.ndarray, asked_cents: np.ndarray,
            decision_minutes: np.ndarray, friction_minutes: np.ndarray,
            service_gap: np.ndarray, log_brand: np.ndarray, sensitivity: np.ndarray,
            choice: ChoiceBehaviour) -> np.ndarray:
    """Systematic utility of each offer (see :class:`ChoiceBehaviour`).

    Args:
        all_in_apr: The offer's all-in APR.
        offered_cents: The amount offered.
        asked_cents: The amount the need asked for.
        decision_minutes: Time the lender took to decide.
        friction_minutes: Minutes of the lender's application form.
        service_gap: Satisfaction minus neutral with the lender, 0 for a new customer.
        log_brand: Log of the lender's brand weight.
        sensitivity: Price sensitivity of the consumer (:func:`price_sensitivity`).
        choice: ``behaviour.choice``.
    """
    limit = np.log(np.clip(offered_cents / np.maximum(asked_cents, 1), 1e-3, 1.0))
    hours = np.log1p(np.asarray(decision_minutes, dtype=np.float64) / 60.0)
    return (log_brand - sensitivity * all_in_apr + choice.limit_weight * limit
            - choice.speed_weight * hours - choice.friction_weight * friction_minutes / 10.0
            + choice.service_weight * service_gap)


def choose(need: np.ndarray, value: np.ndarray, n_needs: int, outside_utility: float,
           rng: np.random.Generator) -> np.ndarray:
    """Indices of the offers taken: per need, the best of its offers and the outside option
    after Gumbel noise (a multinomial logit draw); at most one offer per need.

    Args:
        need: Need index of each offer.
        value: Systematic utility of each offer.
        n_needs: Number of needs (length of the outside options).
        outside_utility: Utility of not borrowing.
        rng: The model's random stream.
    """
    if len(need) == 0:
        return np.zeros(0, dtype=np.int64)
    noisy = value + rng.gumbel(size=len(need))
    best = outside_utility + rng.gumbel(size=n_needs)
    np.maximum.at(best, need, noisy)
    winner = np.flatnonzero(noisy >= best[need])
    # a tie within a need (probability zero) keeps the first offer
    _, first = np.unique(need[winner], return_index=True)
    return winner[first]
