"""Operations after the credit decision: payment rails, service and collections, the
decision platform, and champion/challenger testing (seed characteristics 5, 6, 7).
"""

from __future__ import annotations

from typing import Literal

from simfin.config.base import PROBABILITY, Section, param

RailName = Literal["mobile_wallet", "bank_transfer"]
ServiceChannelName = Literal["in_app", "wechat", "web_im", "voice"]


class RailConfig(Section):
    """A payment rail's speed, reliability and price."""

    latency_minutes: float = param(1.0, "Minutes from instruction to money arriving.",
                                   "minutes", ge=0.0)
    failure_rate: float = param(0.005, "Share of transfers and debits that fail (retried).",
                                "share", **PROBABILITY)
    fee_cents: int = param(10, "Fee per transfer or debit, paid by the lender.", "cents",
                           ge=0)


class PaymentsConfig(Section):
    """The payment rails of the market."""

    mobile_wallet: RailConfig = param(RailConfig(), "Mobile wallet (Alipay/WeChat Pay "
                                      "style).")
    bank_transfer: RailConfig = param(RailConfig(latency_minutes=240.0, failure_rate=0.02,
                                                 fee_cents=100),
                                      "Interbank transfer and bank-account debit.")


class LenderPaymentConfig(Section):
    """Which rails a lender uses, and how it collects instalments."""

    disbursement_rail: RailName = param("mobile_wallet", "Rail for disbursements (cash "
                                        "loans) and merchant payments (scenario loans).")
    repayment_rail: RailName = param("mobile_wallet", "Rail instalments are collected on.")
    auto_debit: bool = param(True, "Debit instalments automatically on the due day; without "
                             "it borrowers must remember to pay (some forget).")
    retry_days: int = param(3, "Days a failed auto-debit is retried before the instalment "
                            "counts as missed.", "days", ge=0, le=30)


class ServiceChannelConfig(Section):
    """One service channel's cost and quality."""

    cost_per_contact_cents: int = param(50, "Cost of one service or collection contact.",
                                        "cents", ge=0)
    quality: float = param(0.7, "Probability a service contact resolves the issue.",
                           "probability", **PROBABILITY)
    collection_effect: float = param(0.5, "Relative rise of a delinquent borrower's daily "
                                     "cure probability per weekly contact.", "ratio", ge=0.0)


class ServiceChannelsConfig(Section):
    """The service channels of the market (seed characteristic 6)."""

    in_app: ServiceChannelConfig = param(ServiceChannelConfig(cost_per_contact_cents=40,
                                                              quality=0.7,
                                                              collection_effect=0.3),
                                         "In-app messages and self-service.")
    wechat: ServiceChannelConfig = param(ServiceChannelConfig(cost_per_contact_cents=30,
                                                              quality=0.75,
                                                              collection_effect=0.5),
                                         "WeChat-style instant messaging.")
    web_im: ServiceChannelConfig = param(ServiceChannelConfig(cost_per_contact_cents=40,
                                                              quality=0.65,
                                                              collection_effect=0.3),
                                         "Web chat.")
    voice: ServiceChannelConfig = param(ServiceChannelConfig(cost_per_contact_cents=400,
                                                             quality=0.8,
                                                             collection_effect=1.0),
                                        "Phone calls (call centre).")


class ServiceConfig(Section):
    """A lender's service and collections."""

    mode: Literal["siloed", "unified"] = param("siloed", "'siloed': each channel works "
                                               "alone; 'unified': one platform with a "
                                               "customer profile that risk and collections "
                                               "use, and that resolves more contacts.")
    channels: list[ServiceChannelName] = param(["in_app", "voice"], "Channels the lender "
                                               "serves customers on.", min_length=1)
    contact_rate: float = param(0.3, "Service contacts per active borrower per month.",
                                "contacts/month", ge=0.0, le=30.0)
    collection_channel: ServiceChannelName = param("voice", "Channel collections use.")
    collection_intensity: float = param(1.0, "Collection contacts per delinquent loan per "
                                        "week (0 = no collections).", "contacts/week",
                                        ge=0.0, le=21.0)


class InfrastructureConfig(Section):
    """The lender's decision platform (seed characteristic 7)."""

    kind: Literal["cloud", "fixed"] = param("cloud", "'cloud' scales elastically (at a "
                                            "premium above capacity); 'fixed' queues and "
                                            "drops applications beyond capacity.")
    capacity_per_day: int = param(5_000, "Decisions the platform makes per day at base cost.",
                                  "decisions/day", ge=1)
    base_latency_minutes: float = param(0.2, "Decision compute time at low load.", "minutes",
                                        ge=0.0)
    cost_per_decision_cents: float = param(1.0, "Compute cost per decision within capacity.",
                                           "cents", ge=0.0)
    elastic_premium: float = param(3.0, "Cloud: cost multiplier of decisions above "
                                   "capacity.", "ratio", ge=1.0)
    fixed_cost_per_day_cents: int = param(50_000, "Platform cost per day, whatever the load.",
                                          "cents/day", ge=0)
