"""The market's external data sources and biometric verification methods (their quality,
price and speed); which of them a lender uses is part of its strategy.
"""

from __future__ import annotations

from simfin.config.base import PROBABILITY, Section, param


class DataSourceConfig(Section):
    """Price, speed and coverage of one external data source."""

    coverage: float = param(1.0, "Share of consumers the source has a record for (the "
                            "bureau's coverage is the population's non-thin-file share).",
                            "share", **PROBABILITY)
    cost_cents: int = param(100, "Price of one query.", "cents", ge=0)
    latency_minutes: float = param(0.1, "Minutes one query adds to the decision.", "minutes",
                                   ge=0.0)


class BiometricConfig(Section):
    """Error rates, speed and price of one biometric verification method."""

    false_accept_rate: float = param(0.02, "Share of impostors accepted.", "share",
                                     **PROBABILITY)
    false_reject_rate: float = param(0.03, "Share of genuine applicants rejected.", "share",
                                     **PROBABILITY)
    latency_minutes: float = param(0.5, "Minutes the check adds to the decision.", "minutes",
                                   ge=0.0)
    cost_cents: int = param(30, "Price of one check.", "cents", ge=0)


class DataConfig(Section):
    """The data and verification market every lender buys from."""

    bureau: DataSourceConfig = param(DataSourceConfig(cost_cents=200, latency_minutes=0.2),
                                     "Central-bank style credit bureau: history, "
                                     "delinquencies, loans at reporting lenders.")
    id_registry: DataSourceConfig = param(DataSourceConfig(coverage=0.98, cost_cents=20,
                                                           latency_minutes=0.05),
                                          "National ID registry: does the identity exist "
                                          "and match.")
    social_security: DataSourceConfig = param(DataSourceConfig(coverage=0.6, cost_cents=50,
                                                               latency_minutes=0.3),
                                              "Social-security records: employment and "
                                              "income (formal employment only).")
    consortium: DataSourceConfig = param(DataSourceConfig(cost_cents=10,
                                                          latency_minutes=0.05),
                                         "Information-sharing consortium: loans at member "
                                         "lenders (when policy.consortium is on).")
    face: BiometricConfig = param(BiometricConfig(), "Face recognition.")
    voice: BiometricConfig = param(BiometricConfig(false_accept_rate=0.05,
                                                   false_reject_rate=0.06,
                                                   latency_minutes=1.0, cost_cents=15),
                                   "Voiceprint recognition.")
    iris: BiometricConfig = param(BiometricConfig(false_accept_rate=0.002,
                                                  false_reject_rate=0.01,
                                                  latency_minutes=0.5, cost_cents=80),
                                  "Iris recognition.")
