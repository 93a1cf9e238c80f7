"""The observation: what a lender could know at the end of a decision interval.

A flat float64 vector of :data:`FEATURES`, in that order: the lender's own funnel, risk and
profit over the interval and to date, the public market picture (its rivals' approval rate
and the prices their borrowers took), the policy in force, the economy's drivers and the
progress of the run. Never a hidden truth of the simulation: no consumer's willingness to
pay, no fraud flag, no count of fraud loans (a lender learns of fraud only as losses), and
nothing about a rival beyond what the market shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simfin.agents.economy import DRIVERS
from simfin.env.interval import PROFIT_BEFORE_PROVISIONS, Interval
from simfin.model import MarketModel

MONEY = 1e13  # yuan: the bound of money features (a hundred times the world's GDP)
COUNT = 1e9
NO_CAP_APR = 10.0  # the apr_cap feature when no cap is in force (the schema's largest APR)


@dataclass(frozen=True)
class Feature:
    """One component of the observation.

    Attributes:
        name: Its name.
        low, high: Its bounds (the observation space's).
        unit: Its unit.
        description: What it is.
    """

    name: str
    low: float
    high: float
    unit: str
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature("applications_per_day", 0.0, COUNT, "applications/day",
            "Applications the lender decided, per day of the interval."),
    Feature("approval_rate", 0.0, 1.0, "share",
            "Its approvals / decided applications over the interval (0: none decided)."),
    Feature("loans_per_day", 0.0, COUNT, "loans/day",
            "Loans it booked (offers taken), per day of the interval."),
    Feature("mean_apr", 0.0, NO_CAP_APR, "rate/year",
            "Mean all-in APR of the loans it booked in the interval (0: none)."),
    Feature("disbursed_yuan", 0.0, MONEY, "yuan", "Principal it disbursed in the interval."),
    Feature("outstanding_yuan", 0.0, MONEY, "yuan", "Its outstanding principal at the end."),
    Feature("dpd30_share", 0.0, 1.0, "share",
            "Share of its outstanding principal 30+ days past due at the end."),
    Feature("written_off_yuan", 0.0, MONEY, "yuan", "Principal it wrote off in the interval."),
    Feature("profit_yuan", -MONEY, MONEY, "yuan",
            "Its profit over the interval before provisions (steps.parquet's profit)."),
    Feature("profit_to_date_yuan", -MONEY, MONEY, "yuan",
            "Its profit before provisions since day 0."),
    Feature("equity_yuan", -MONEY, MONEY, "yuan",
            "Its equity (capital) at the end: its capital plus its profit after provisions."),
    Feature("model_in_use", 0.0, 1.0, "flag",
            "1 when its statistical model decides (the approval threshold acts), else 0."),
    Feature("rivals_approval_rate", 0.0, 1.0, "share",
            "The other lenders' approvals / decided applications, together (0: none)."),
    Feature("rivals_mean_apr", 0.0, NO_CAP_APR, "rate/year",
            "Mean all-in APR of the loans the other lenders booked (0: none)."),
    Feature("market_share", 0.0, 1.0, "share",
            "Its share of the loans booked in the market in the interval (0: none booked)."),
    Feature("apr_cap", 0.0, NO_CAP_APR, "rate/year",
            f"The regulator's all-in APR cap in force ({NO_CAP_APR:g}: no cap)."),
    Feature("max_loan_to_income", 0.0, 1e3, "principal / yearly income",
            "The regulator's loan-to-income cap in force (0: no cap)."),
    Feature("consortium", 0.0, 1.0, "flag",
            "1 when the information-sharing consortium is open, else 0."),
    *(Feature(f"macro_{name}", -1e3, 1e3, "factor or shift",
              f"The economy's {name} driver on the interval's last day "
              "(simfin.agents.economy; neutral in a steady market).") for name in DRIVERS),
    Feature("macro_demand", 0.0, 1e3, "factor",
            "Mean factor on the scenarios' need rates on the interval's last day."),
    Feature("progress", 0.0, 1.0, "share", "Days run / days of the run."),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
LOW = np.array([f.low for f in FEATURES], dtype=np.float64)
HIGH = np.array([f.high for f in FEATURES], dtype=np.float64)


def observation_space():
    """The observation space: a float64 ``Box`` of the features' bounds."""
    from gymnasium import spaces

    return spaces.Box(LOW.copy(), HIGH.copy(), dtype=np.float64)


def observe(model: MarketModel, interval: Interval, lender: int,
            profit_to_date_cents: int) -> np.ndarray:
    """The observation of lender ``lender`` (its index) after ``interval``, given its profit
    before provisions since day 0 (cents). Its profit after provisions (the reward) is in
    ``equity_yuan``: its capital plus that profit.
    """
    days = max(interval.days, 1)
    s, end = interval.sums, interval.ending
    rivals = [i for i in range(interval.n_lenders) if i != lender]
    outstanding = float(end["outstanding"][lender])
    market_loans = int(interval.loans_booked.sum())
    cap = model.regulator.apr_cap
    macro = model.population.macro
    demand = float(np.mean(macro.demand)) if macro.demand else 1.0
    values = {
        "applications_per_day": s["applications"][lender] / days,
        "approval_rate": interval.approval_rate([lender]),
        "loans_per_day": s["loans"][lender] / days,
        "mean_apr": interval.mean_apr([lender]),
        "disbursed_yuan": s["disbursed"][lender] / 100.0,
        "outstanding_yuan": outstanding / 100.0,
        "dpd30_share": float(end["dpd30_balance"][lender]) / outstanding if outstanding else 0.0,
        "written_off_yuan": s["written_off"][lender] / 100.0,
        "profit_yuan": s[PROFIT_BEFORE_PROVISIONS][lender] / 100.0,
        "profit_to_date_yuan": profit_to_date_cents / 100.0,
        "equity_yuan": float(end["equity"][lender]) / 100.0,
        "model_in_use": float(model.lenders[lender].model_in_use),
        "rivals_approval_rate": interval.approval_rate(rivals) if rivals else 0.0,
        "rivals_mean_apr": interval.mean_apr(rivals) if rivals else 0.0,
        "market_share": interval.loans_booked[lender] / market_loans if market_loans else 0.0,
        "apr_cap": NO_CAP_APR if cap is None else min(cap, NO_CAP_APR),
        "max_loan_to_income": model.regulator.max_loan_to_income or 0.0,
        "consortium": float(bool(model.regulator.consortium)),
        **{f"macro_{name}": getattr(macro, name) for name in DRIVERS},
        "macro_demand": demand,
        "progress": model.day / model.config.run.total_days,
    }
    return np.clip(np.array([values[name] for name in FEATURE_NAMES], dtype=np.float64),
                   LOW, HIGH)


def describe_observation() -> str:
    """A Markdown table of the observation's components, for the README."""
    rows = ["| # | feature | unit | what it is |", "|---|---|---|---|"]
    for i, f in enumerate(FEATURES):
        rows.append(f"| {i} | `{f.name}` | {f.unit} | {f.description} |")
    return "\n".join(rows)
