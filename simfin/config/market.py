"""Merchant scenarios (where financing needs arise) and channels (how they reach lenders)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from simfin.config.base import PROBABILITY, Section, name_param, param

ProductKind = Literal["instalment", "cash", "revolving"]


class ScenarioConfig(Section):
    """A merchant scenario: a place where consumers need financing (seed characteristic 1)."""

    name: str = name_param("ecommerce", "Scenario name, used in outputs.")
    product: ProductKind = param("instalment", "Product the need is financed with: "
                                 "'instalment' (scenario loan paid to the merchant), 'cash' "
                                 "(instant cash loan paid to the consumer), 'revolving' (a draw "
                                 "on a credit line).")
    need_rate: float = param(2.0, "Financing needs per consumer per year, before digital "
                             "affinity scaling.", "needs/consumer/year", ge=0.0, le=365.0)
    ticket_median_cents: int = param(300_000, "Median amount of one need.", "cents", gt=0)
    ticket_sigma: float = param(0.7, "Sigma of the log-normal ticket size.", "log cents",
                                ge=0.0, le=3.0)
    term_days: list[int] = param([90, 180, 360], "Terms a need may ask for, drawn uniformly. "
                                 "Terms of 60 days or more are repaid in 30-day instalments, "
                                 "shorter ones as one bullet payment.", "days", min_length=1)
    online_share: float = param(0.6, "Share of this scenario's needs that arise online on day "
                                "0.", "share", **PROBABILITY)
    online_drift: float = param(0.05, "Yearly increase of the online share (capped at 1): "
                                "offline flows move online.", "share/year", ge=-1.0, le=1.0)

    weekend_multiplier: float = param(1.2, "Needs on weekends relative to weekdays.",
                                      "ratio", ge=0.0)
    festival_days: list[int] = param([], "Days of the year (0 = 1 January) of shopping "
                                     "festivals, e.g. 167 for 618 and 314 for Double 11.",
                                     "day of year")
    festival_multiplier: float = param(5.0, "Needs on a festival day relative to a normal "
                                       "day.", "ratio", ge=0.0)

    @field_validator("festival_days")
    @classmethod
    def _days_of_year(cls, days: list[int]) -> list[int]:
        for day in days:
            if not 0 <= day < 365:
                raise ValueError(f"days of the year must be in 0..364, got {day}")
        return days

    @field_validator("term_days")
    @classmethod
    def _positive_terms(cls, terms: list[int]) -> list[int]:
        for term in terms:
            if term < 1 or term > 3650:
                raise ValueError(f"terms must be between 1 and 3650 days, got {term}")
        return terms


class ChannelConfig(Section):
    """An acquisition channel (seed characteristic 3)."""

    name: str = name_param("app_store", "Channel name, used in outputs.")
    online: bool = param(True, "Online channels carry online needs, offline channels offline "
                         "ones.")
    reach: float = param(1.0, "Relative weight of this channel among channels of the same "
                         "kind (online/offline). An owned channel keeps 1: its audience is "
                         "its owner's customers (customer_share).", "weight", ge=0.0)
    cost_per_application_cents: int = param(2_000, "Acquisition cost the lender pays per "
                                            "application the channel brings.", "cents", ge=0)
    conversion_rate: float = param(0.5, "Share of needs that become an application, before "
                                   "product friction.", "share", **PROBABILITY)
    risk_tilt: float = param(0.0, "How strongly the channel draws consumers with low "
                             "willingness to repay (0 = none, 1 = strong).", "", ge=-1.0,
                             le=1.0)
    fraud_multiplier: float = param(1.0, "Fraudsters' relative rate of applying through this "
                                    "channel.", "ratio", ge=0.0)
    shares_data: bool = param(False, "Whether the channel shares behavioural data (a "
                              "behaviour score) with the lender for targeting and risk.")

    # A lender's own channel: its app (or branches, offline) reaching its existing customers.
    owner: str | None = param(None, "Name of the lender whose own channel this is (its app "
                              "reaching its existing customers): applications through it "
                              "reach only the owner, and its audience is the owner's "
                              "customers (customer_share), not the market's traffic (reach). "
                              "None: a market channel, which brings needs to every lender.")
    customer_share: float = param(0.25, "Owned channels: share of the consumers who are the "
                                  "owner's existing customers, drawn once at the start "
                                  "(exactly this share, rounded), weighted by "
                                  "customer_income_elasticity, risk_tilt and "
                                  "fraud_multiplier.", "share", **PROBABILITY)
    customer_income_elasticity: float = param(0.5, "Owned channels: how a consumer's weight "
                                              "to be among the owner's customers grows with "
                                              "monthly income: weight = (income / "
                                              "population.income_median_cents) ^ elasticity "
                                              "(a bank's salary and deposit customers earn "
                                              "more); 0: income does not matter.",
                                              "elasticity", ge=-5.0, le=5.0)
    first_look_share: float = param(0.5, "Owned channels: probability that a need of one of "
                                    "the owner's customers (of the channel's kind, online "
                                    "or offline, for a product the owner sells and has not "
                                    "declined it for) goes to the owner's own channel first, "
                                    "and to the owner alone; otherwise it goes through the "
                                    "market's channels as any need does.", "probability",
                                    **PROBABILITY)
    knows_income: bool = param(True, "Owned channels: the owner reads its customers' monthly "
                               "income from their accounts (salary deposits), so their "
                               "applications to it, through any channel, state their true "
                               "current income instead of an overstated one (it counts where "
                               "the owner reads income: a new credit line's limit, "
                               "amount_to_income in its rules and model, the policy's "
                               "max_loan_to_income).")
