"""The 12-month expected loss of a current loan from its own schedule (IFRS 9 stage 1).

A current instalment loan has one instalment due in each coming month until it matures. In
month j (1, 2, ...) it may become delinquent, with a monthly probability h that depends on
its months on book (the lender's roll rate of current loans by months on book: young loans
miss more often, first payments most); a delinquency reaches default (90+ days past due)
within the m months left in the horizon with probability D(m), from the lender's roll-rate
chain over the delinquent buckets (cures and closure end the path); a delinquency that
cures returns the loan to current. So the probability that a loan of age a defaults from a
delinquency that begins in month j is

    S(j-1) x h(a + j - 1) x D(12 - j),    S(j) = S(j-1) x (1 - h(a + j - 1) x D(inf)),

for j up to the 12 months of a stage 1 ECL and up to its maturity: a loan with k
instalments left cannot miss a (k+1)-th. A loan that defaults owes what it owed when it
missed (a delinquent loan pays nothing until it cures), so the exposure of month j is the
scheduled balance after j - 1 more instalments: for an annuity at rate r per period with k
instalments left, e(j) = ((1 + r)^k - (1 + r)^(j-1)) / ((1 + r)^k - 1) of today's balance
(one bullet payment: e(1) = 1). A loan's ECL is then LGD x balance x F(a, k), with

    F(a, k) = sum over j <= min(k, 12) of S(j-1) x h(a + j - 1) x D(12 - j) x e(j).

The factors are tabulated per lender, months on book and instalments left (the lender's
balance-weighted mean rate per period stands for each loan's own: the exposure profile
moves little between 10 % and 36 % a year), so a day's allowance on the current loans is
one look-up per loan.
"""

from __future__ import annotations

import numpy as np

HORIZON_MONTHS = 12
"""The months of a stage 1 (12-month) ECL: default events possible within them."""


def delinquency_default(chain: np.ndarray, months: int, default: int) -> np.ndarray:
    """Per lender, the probability that a loan in the 1-29 DPD bucket reaches default
    within m monthly steps, m = 0 .. ``months``; a cure to current or a closure ends the
    path without default.

    Args:
        chain: The monthly chain, (lenders, 4 buckets, states); column ``default`` is the
            default state, columns 1-3 the delinquent buckets.
        months: The longest horizon.
        default: The index of the default state.

    Returns:
        (lenders, months + 1) array; column 0 is 0.
    """
    within = chain[:, 1:4, 1:4]  # delinquent bucket -> delinquent bucket
    to_default = chain[:, 1:4, default]
    out = np.zeros((len(chain), months + 1))
    reach = np.zeros((len(chain), 3))
    for m in range(1, months + 1):
        reach = to_default + np.einsum("lij,lj->li", within, reach)
        out[:, m] = reach[:, 0]
    return out


def current_loss_factors(hazard: np.ndarray, default_within: np.ndarray, rate: np.ndarray,
                         max_instalments: int) -> tuple[np.ndarray, np.ndarray]:
    """The table F(a, k) of each lender (the module's formula) and the 12-month PD of a
    new loan of 12 or more instalments (age 0, full exposure).

    Args:
        hazard: (lenders, ages) monthly probability that a current loan of that many
            months on book becomes delinquent; the last age stands for every older loan.
        default_within: (lenders, >= 13) :func:`delinquency_default`; its last column is
            taken as D(inf) for the survival of cured loans.
        rate: (lenders,) interest rate per 30-day period of the exposure profile.
        max_instalments: The most instalments a loan on book has left (k = 1 .. this).

    Returns:
        ``(factors, pd_new)``: (lenders, ages, max_instalments) and (lenders,).
    """
    n, ages = hazard.shape
    k = np.arange(1, max_instalments + 1, dtype=np.float64)
    growth = (1.0 + rate)[:, None] ** k  # (1 + r)^k
    factors = np.zeros((n, ages, max_instalments))
    survival = np.ones((n, ages))
    pd_new = np.zeros(n)
    eventual = default_within[:, -1:]
    for j in range(1, HORIZON_MONTHS + 1):
        h = hazard[:, np.minimum(np.arange(ages) + j - 1, ages - 1)]
        defaults = survival * h * default_within[:, HORIZON_MONTHS - j, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            annuity = (growth - (1.0 + rate)[:, None] ** (j - 1)) / (growth - 1.0)
        exposure = np.where(rate[:, None] > 0, annuity, (k - j + 1) / k)
        exposure = np.where(k >= j, exposure, 0.0)  # no (k+1)-th instalment to miss
        factors += defaults[:, :, None] * exposure[:, None, :]
        pd_new += defaults[:, 0]
        survival = survival * (1.0 - h * eventual)
    return factors, pd_new
