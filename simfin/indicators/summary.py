"""Indicators computed from the recorded history, outside the model.

Every definition here is written down in the README's "Indicators" section; a change here
is a change there.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from simfin.indicators.delinquency import delinquency_peaks
from simfin.indicators.provisions import provision_indicators
from simfin.lending.pricing import GRADE_LETTERS

DAYS_PER_YEAR = 365.0


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


MONEY_INDICATORS = frozenset({
    "disbursed", "outstanding_end", "average_outstanding", "peak_outstanding",
    "interest_income", "fee_income", "written_off", "recoveries", "fraud_loss",
    "acquisition_cost", "cac", "data_cost",
    "verification_cost", "cost_of_funds", "profit", "payment_fees", "service_cost",
    "collections_cost", "infrastructure_cost", "profit_after_provisions",
    "net_provision_charge", "allowance_end", "dpd30_balance_end",
    # co_lending (a market with funding partners)
    "funded_for_others", "funded_by_partners", "service_fees_earned", "guarantee_paid",
    "guarantee_received"})
"""Indicators (and breakdown fields) in cents; names ending in ``_cents`` are money too."""


def flow_indicators(steps: pd.DataFrame, days: int) -> dict[str, float | int | None]:
    """Indicators computed from daily rows alone: flows over the rows' days, rates of
    flows, and balances averaged over (or read at the last of) those days.

    Args:
        steps: Rows of ``steps.parquet`` (one lender, or all lenders), whole run or a window.
        days: Days the rows cover (annualises the loss rate and the yield).
    """
    s = steps.sum(numeric_only=True)
    daily_outstanding = steps.groupby("day")["outstanding"].sum()
    avg_outstanding = float(daily_outstanding.mean()) if len(daily_outstanding) else 0.0
    years = days / DAYS_PER_YEAR
    decided = s["approvals"] + s["declined"] + s["referred"]
    costs = (s["funding_cost"] + s["acquisition_cost"] + s["data_cost"]
             + s["verification_cost"] + s["service_cost"] + s["collections_cost"]
             + s["payment_fees"] + s["infrastructure_cost"] + s["review_cost"])
    ttc = steps["time_to_cash_minutes"].dropna()
    return {
        "applications": int(s["applications"]),
        "approvals": int(s["approvals"]),
        "approval_rate": _ratio(s["approvals"], decided),
        "loans": int(s["loans"]),
        "take_up_rate": _ratio(s["loans"], s["approvals"]),
        "disbursed": int(s["disbursed"]),
        "outstanding_end": int(steps[steps["day"] == steps["day"].max()]["outstanding"].sum())
        if len(steps) else 0,
        "average_outstanding": avg_outstanding,
        "peak_outstanding": int(daily_outstanding.max()) if len(daily_outstanding) else 0,
        "interest_income": int(s["interest_paid"]),
        "fee_income": int(s["fees_paid"]),
        "written_off": int(s["written_off"]),
        "recoveries": int(s["recoveries"]),
        "loss_rate": _ratio((s["written_off"] - s["recoveries"]) / years, avg_outstanding),
        "yield": _ratio((s["interest_paid"] + s["fees_paid"]) / years, avg_outstanding),
        "cure_rate": _ratio(s["cures"], s["missed_payments"]),
        "fraud_loss": int(s["fraud_loss"]),
        "fraud_loans": int(s["fraud_loans"]),
        "acquisition_cost": int(s["acquisition_cost"]),
        "data_cost": int(s["data_cost"]),
        "verification_cost": int(s["verification_cost"]),
        "cost_of_funds": int(s["funding_cost"]),
        "profit": int(s["interest_paid"] + s["fees_paid"] + s.get("service_fees", 0)
                      + s["recoveries"] - s["written_off"] - costs),
        "time_to_cash_minutes": float(np.median(ttc)) if len(ttc) else None,
        "lost_applications": int(s["lost"]),
        "capacity_used_peak": float(steps["capacity_used"].max()) if len(steps) else None,
        "failed_debits": int(s["failed_debits"]),
        "repayment_rate": _ratio(s["due_payments"] - s["missed_payments"],
                                 s["due_payments"]),
        "payment_fees": int(s["payment_fees"]),
        "service_cost": int(s["service_cost"]),
        "collections_cost": int(s["collections_cost"]),
        "infrastructure_cost": int(s["infrastructure_cost"]),
        "satisfaction": float(steps["satisfaction"].mean()) if steps["satisfaction"].notna(
        ).any() else None,
        "online_share": _ratio(s["online_applications"], s["applications"]),
        **provision_indicators(steps, s),
        **delinquency_peaks(steps),
    }



def indicators(steps: pd.DataFrame, loans: pd.DataFrame, default_dpd: int,
               horizon_days: int) -> dict[str, float | int | None]:
    """Run-level indicators of one lender's (or the market's) rows: the flow indicators
    (``flow_indicators``) and those that need the loan table or the whole history.

    Args:
        steps: Rows of ``steps.parquet`` (one lender, or all lenders).
        loans: Rows of the loan table for the same lenders.
        default_dpd: Days past due that count as default.
        horizon_days: Days simulated.
    """
    flow = flow_indicators(steps, horizon_days)
    # A loan can only have reached default_dpd if its first instalment fell due at least
    # default_dpd days before the end: only such seasoned loans enter the default rate.
    # Filters and de-duplications read only the columns they need (a copy of every column
    # of the market's loans was the largest temporary of a run's end).
    seasoned = loans.loc[loans["origination_day"] + loans["period_days"] + default_dpd
                         <= horizon_days - 1, ["defaulted"]]
    pairs = loans["lender"].to_numpy(np.int64) << 32 | loans["consumer"].to_numpy(np.int64)
    new_customers = len(np.unique(pairs))  # distinct (lender, consumer)

    out_acquisition = flow["acquisition_cost"]

    def take(*names: str) -> dict:
        return {name: flow.pop(name) for name in names}

    # summary.json keeps its historical key order (the golden outputs hash it).
    out = {
        **take("applications", "approvals", "approval_rate", "loans", "take_up_rate",
               "disbursed", "outstanding_end", "average_outstanding", "interest_income",
               "fee_income", "written_off", "recoveries"),
        "default_rate": _ratio(seasoned["defaulted"].sum(), len(seasoned)),
        "seasoned_loans": int(len(seasoned)),
        **take("loss_rate", "yield", "cure_rate"),
        "collection_30d_rate": collection_30d_rate(steps, horizon_days),
        **take("fraud_loss", "fraud_loans", "acquisition_cost"),
        "cac": _ratio(out_acquisition, new_customers),
        **take("data_cost", "verification_cost", "cost_of_funds", "profit",
               "time_to_cash_minutes", "lost_applications", "capacity_used_peak",
               "failed_debits", "repayment_rate", "payment_fees", "service_cost",
               "collections_cost", "infrastructure_cost", "satisfaction"),
        "repeat_borrower_share": float(loans["repeat"].mean()) if len(loans) else None,
        "retention": retention(loans),
        **take("online_share"),
        "short_term_share": float((loans["term_days"] <= SHORT_TERM_DAYS).mean())
        if len(loans) else None,
        **multi_lending(loans),
        **lifetime_default(loans, default_dpd, horizon_days),
    }
    out.update(flow)  # a flow indicator not placed above goes at the end
    out["mean_apr"] = mean_apr(loans)
    return out


def mean_apr(loans: pd.DataFrame) -> float | None:
    """The principal-weighted mean all-in APR of the loans booked (the price of a yuan
    lent); None without loans.
    """
    if not len(loans) or "apr" not in loans.columns:
        return None
    principal = loans["principal_cents"].to_numpy(np.float64)
    return float(np.dot(loans["apr"].to_numpy(np.float64), principal) / principal.sum())


def collection_30d_rate(steps: pd.DataFrame, horizon_days: int) -> float | None:
    """Share of missed instalments collected (cured) before 30 days past due.

    The figure online lenders publish as the "30-day collection rate". A payment missed on
    day d that is not collected reaches 30 days past due on day d + 30, so the missed
    payments counted are those of days up to the end - 31: each has had its full 30 days.
    """
    started = steps.loc[steps["day"] <= horizon_days - 31, "missed_payments"].sum()
    if started == 0:
        return None
    return float(1.0 - steps["entered_30dpd"].sum() / started)


def retention(loans: pd.DataFrame) -> float | None:
    """Share of borrowers who, after repaying a loan in full, borrowed again from the same
    lender before the run ended.
    """
    closed = loans.loc[loans["status"] == 1, ["lender", "consumer", "closed_day"]]
    if closed.empty:
        return None
    first_close = closed.groupby(["lender", "consumer"])["closed_day"].min().rename("first")
    later = loans[["lender", "consumer", "origination_day"]].join(
        first_close, on=["lender", "consumer"], how="inner")
    returned = later[later["origination_day"] > later["first"]]
    return float(returned[["lender", "consumer"]].drop_duplicates().shape[0]
                 / len(first_close))


def split_by_strategy(loans: pd.DataFrame, default_dpd: int, horizon_days: int
                      ) -> dict[str, dict[str, float | int | None]]:
    """Champion vs challenger: loans, default rate (seasoned) and default share."""
    out = {}
    for label, flag in (("champion", False), ("challenger", True)):
        lo = loans[loans["challenger"] == flag]
        seasoned = lo[lo["origination_day"] + lo["period_days"] + default_dpd
                      <= horizon_days - 1]
        out[label] = {"loans": int(len(lo)), "disbursed": int(lo["principal_cents"].sum()),
                      "default_rate": _ratio(seasoned["defaulted"].sum(), len(seasoned)),
                      "default_share": float(lo["defaulted"].mean()) if len(lo) else None}
    return out


def by_group(loans: pd.DataFrame, key: str, names: list[str] | None = None
             ) -> dict[str, dict[str, float | int]]:
    """Loans, disbursed amount and default share by a loan attribute (grade, product...)."""
    out: dict[str, dict[str, float | int]] = {}
    for code, group in loans.groupby(key, observed=True):
        label = names[int(code)] if names is not None and int(code) >= 0 else str(code)
        out[label] = {"loans": int(len(group)),
                      "disbursed": int(group["principal_cents"].sum()),
                      "default_share": float(group["defaulted"].mean())}
    return out


def grade_label(code: int) -> str:
    """Grade letter of a grade code; ``-`` for loans made before the model was in use."""
    return "-" if code < 0 else GRADE_LETTERS[code]


# Loan-table columns read by :func:`summarize`.
SUMMARY_COLUMNS = frozenset({
    "lender", "consumer", "grade", "origination_day", "period_days", "term_days",
    "default_day", "defaulted", "status", "closed_day", "repeat", "other_loans",
    "challenger", "principal_cents", "apr"})


def summarize(steps: pd.DataFrame, loans: pd.DataFrame, lender_names: list[str],
              default_dpd: int, horizon_days: int, challengers: Collection[str] = ()
              ) -> dict:
    """``summary.json``: indicators per lender and for the market.

    Args:
        steps: Rows of ``steps.parquet`` (every lender).
        loans: The loan table (every lender).
        lender_names: Lender names, in config order (a loan's ``lender`` is the index).
        default_dpd: Days past due that count as default.
        horizon_days: Days simulated.
        challengers: Names of the lenders running a champion/challenger test: each has
            ``champion_challenger``, also before (or without) a challenger loan, so that
            the summary's fields follow from the config, not from what happened.
    """
    summary: dict = {"horizon_days": horizon_days, "lenders": {}}
    # A lender's loans are copied with the columns read here only (all of them were the
    # largest temporary of a run's end).
    read = [c for c in loans.columns if c in SUMMARY_COLUMNS]
    for code, name in enumerate(lender_names):
        s = steps[steps["lender"] == name]
        lo = None  # the previous lender's copy, freed before the next is made
        lo = loans.loc[loans["lender"] == code, read]
        ind = indicators(s, lo, default_dpd, horizon_days)
        ind["by_grade"] = {grade_label(int(g)): v for g, v in by_group(lo, "grade").items()}
        if name in challengers:
            ind["champion_challenger"] = split_by_strategy(lo, default_dpd, horizon_days)
        ind["vintages"] = vintage_curves(lo, horizon_days)
        summary["lenders"][name] = ind
    summary["market"] = indicators(steps, loans, default_dpd, horizon_days)
    summary["market"]["vintages"] = vintage_curves(loans, horizon_days)
    return summary


SHORT_TERM_DAYS = 90  # a loan of at most this term counts as short-term
MULTI_LENDING_LOANS = 2  # a borrower with this many other loans at booking is multi-lending


def _default_share(group: pd.DataFrame) -> float | None:
    return float(group["defaulted"].mean()) if len(group) else None


def scenario_mix(loans: pd.DataFrame, names: list[str]) -> dict[str, dict]:
    """Loans by merchant scenario: count, share, median ticket, mean term, short-term
    share, online share and default share.
    """
    out = {}
    total = max(len(loans), 1)
    for code, name in enumerate(names):
        g = loans[loans["scenario"] == code]
        out[name] = {
            "loans": int(len(g)), "share": len(g) / total,
            "median_ticket_cents": float(g["principal_cents"].median()) if len(g) else None,
            "mean_term_days": float(g["term_days"].mean()) if len(g) else None,
            "short_term_share": float((g["term_days"] <= SHORT_TERM_DAYS).mean())
            if len(g) else None,
            "online_share": float(g["online"].mean()) if len(g) else None,
            "default_share": _default_share(g),
        }
    return out


def channel_mix(loans: pd.DataFrame, applications: np.ndarray, acquisition_cents: np.ndarray,
                names: list[str]) -> dict[str, dict]:
    """By acquisition channel: applications, loans, acquisition cost, CAC (acquisition cost
    per new customer), and the default share of the loans it brought.
    """
    out = {}
    for code, name in enumerate(names):
        g = loans[loans["channel"] == code]
        new_customers = int((~g["repeat"]).sum())
        out[name] = {
            "applications": int(applications[code]), "loans": int(len(g)),
            "acquisition_cost": int(acquisition_cents[code]),
            "cac": _ratio(acquisition_cents[code], new_customers),
            "default_share": _default_share(g),
        }
    return out


def cohort_funnel(loans: pd.DataFrame, needs: np.ndarray, applications: np.ndarray,
                  names: list[str]) -> dict[str, dict]:
    """By birth cohort: needs routed, applications completed, conversion (applications /
    needs), loans and their default share.
    """
    out = {}
    for code, name in enumerate(names):
        g = loans[loans["cohort"] == code]
        out[name] = {"needs": int(needs[code]), "applications": int(applications[code]),
                     "conversion": _ratio(applications[code], needs[code]),
                     "loans": int(len(g)), "default_share": _default_share(g)}
    return out


def region_mix(loans: pd.DataFrame, names: list[str]) -> dict[str, dict]:
    """Loans, disbursed amount and default share by city tier (financial inclusion)."""
    return {name: {"loans": int((loans["region"] == code).sum()),
                   "disbursed": int(loans.loc[loans["region"] == code, "principal_cents"].sum()),
                   "default_share": _default_share(loans[loans["region"] == code])}
            for code, name in enumerate(names)}


def flagged(loans: pd.DataFrame, flag_reasons: list[str]) -> dict[str, dict]:
    """Loans approved with a ``flag`` rule's reason code, and their default share."""
    out = {}
    for bit, reason in enumerate(flag_reasons):
        g = loans[(loans["flags"].to_numpy() >> bit) & 1 == 1]
        if len(g):
            out[reason] = {"loans": int(len(g)), "default_share": _default_share(g)}
    return out


def multi_lending(loans: pd.DataFrame) -> dict[str, float | int | None]:
    """Loans to borrowers who already had ``MULTI_LENDING_LOANS`` or more other loans (in
    this market or reported to the bureau) when they borrowed, and how many defaulted.
    """
    g = loans.loc[loans["other_loans"] >= MULTI_LENDING_LOANS, ["defaulted"]]
    return {"multi_lending_loans": int(len(g)),
            "multi_lending_defaults": int(g["defaulted"].sum()),
            "multi_lending_default_share": _default_share(g)}


MONTH_DAYS = 30  # a month on book, as in the loan schedule's instalment period


def _default_times(loans: pd.DataFrame, horizon_days: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per loan: days on book until default (or until it left observation) and whether the
    time is a default.

    A loan that closed without defaulting is known never to default: it stays at risk to
    the end of the run's longest observation so it keeps lowering the hazard (it is not
    censored). A loan still open and not in default is censored at the run's last day.
    """
    origination = loans["origination_day"].to_numpy(np.int64)
    defaulted = loans["default_day"].to_numpy(np.int64) >= 0
    last_day = horizon_days - 1
    closed_clean = (loans["status"].to_numpy() != 0) & ~defaulted
    time = np.where(defaulted, loans["default_day"].to_numpy(np.int64) - origination,
                    last_day - origination)
    time = np.where(closed_clean, np.iinfo(np.int32).max, time)
    return time, defaulted


def vintage_curves(loans: pd.DataFrame, horizon_days: int) -> list[dict]:
    """Cumulative share of each origination month's loans that reached default
    (``run.default_dpd`` days past due) by each month on book.

    Month ``v`` holds the loans booked on days ``30 v .. 30 v + 29``; its curve runs only
    to the months on book that every one of its loans has lived through before the run
    ended, so a point on a curve never changes when the run is made longer.
    """
    out = []
    if loans.empty:
        return out
    month = loans["origination_day"].to_numpy() // MONTH_DAYS
    since = loans["default_day"].to_numpy(np.int64) - loans["origination_day"].to_numpy()
    since = np.where(loans["default_day"].to_numpy() >= 0, since, np.iinfo(np.int32).max)
    for v in np.unique(month):
        rows = month == v
        # The vintage's youngest loan was booked on day 30 v + 29.
        observed_months = (horizon_days - (v * MONTH_DAYS + MONTH_DAYS)) // MONTH_DAYS
        mobs = np.arange(1, max(int(observed_months), 0) + 1)
        shares = [float((since[rows] < m * MONTH_DAYS).mean()) for m in mobs]
        out.append({"origination_month": int(v), "loans": int(rows.sum()),
                    "cumulative_default": shares})
    return out


def lifetime_default(loans: pd.DataFrame, default_dpd: int, horizon_days: int
                     ) -> dict[str, float | int | None]:
    """Life-of-loan default rate, independent of when the run stops.

    ``lifetime_default_rate`` is a Kaplan-Meier (product-limit) estimate over days on book:
    each day's default hazard is the loans that defaulted on that day of their life over the
    loans still at risk on it (loans repaid without default stay at risk; loans still open
    leave the risk set when the run ends). It is read at the longest life a loan can have
    before it must have defaulted (longest term + ``default_dpd``), or at the longest
    observed life if the run is shorter (``lifetime_default_days`` says which).

    ``complete_default_rate`` is the plain share of defaulted loans among those whose last
    instalment fell due ``default_dpd`` or more days before the end (their outcome is
    final); it is unbiased only for the terms that qualify.
    """
    if loans.empty:
        return {"lifetime_default_rate": None, "lifetime_default_days": None,
                "complete_default_rate": None, "complete_loans": 0}
    time, event = _default_times(loans, horizon_days)
    life_days = int(loans["term_days"].max()) + default_dpd
    horizon_life = min(life_days, horizon_days - 1 - int(loans["origination_day"].min()))
    if horizon_life < int(loans["period_days"].min()) + default_dpd:
        # No loan can have reached default yet: an estimate of 0 would only mislead.
        return {"lifetime_default_rate": None, "lifetime_default_days": int(horizon_life),
                "complete_default_rate": None, "complete_loans": 0}
    event_times = np.unique(time[event & (time <= horizon_life)])
    sorted_time = np.sort(time)
    at_risk = len(time) - np.searchsorted(sorted_time, event_times, side="left")
    events = np.bincount(np.searchsorted(event_times, time[event & (time <= horizon_life)]),
                         minlength=len(event_times))
    survival = float(np.prod(1.0 - events / at_risk)) if len(event_times) else 1.0
    matured = (loans["origination_day"] + loans["term_days"] + default_dpd
               <= horizon_days - 1)
    done = loans.loc[matured, ["defaulted"]]
    return {"lifetime_default_rate": 1.0 - survival,
            "lifetime_default_days": int(horizon_life),
            "complete_default_rate": _default_share(done),
            "complete_loans": int(matured.sum())}
