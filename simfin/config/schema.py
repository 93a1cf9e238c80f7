"""The root of a market config: one section per concern."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, model_validator

from simfin.config.base import Section, param
from simfin.config.behaviour import BehaviourConfig
from simfin.config.data import DataConfig
from simfin.config.lenders import BASIC_RULES, LenderConfig, ProductConfig, RiskConfig
from simfin.config.market import ChannelConfig, ScenarioConfig
from simfin.config.operations import PaymentsConfig, ServiceChannelsConfig
from simfin.config.plugins import import_plugin
from simfin.config.policy import PolicyConfig, RunConfig
from simfin.config.population import PopulationConfig

DEFAULT_SCENARIOS = [
    ScenarioConfig(name="ecommerce", product="instalment", need_rate=2.0,
                   ticket_median_cents=300_000, term_days=[90, 180, 360], online_share=0.7),
    ScenarioConfig(name="instant_cash", product="cash", need_rate=1.5,
                   ticket_median_cents=150_000, term_days=[14, 30], online_share=0.9),
]
DEFAULT_CHANNELS = [
    ChannelConfig(name="app_store", online=True, reach=1.0, cost_per_application_cents=3_000,
                  risk_tilt=0.0),
    ChannelConfig(name="social", online=True, reach=1.0, cost_per_application_cents=1_000,
                  risk_tilt=0.5, fraud_multiplier=3.0),
    ChannelConfig(name="offline_store", online=False, reach=1.0,
                  cost_per_application_cents=8_000, conversion_rate=0.7, risk_tilt=-0.3,
                  fraud_multiplier=0.3),
]
DEFAULT_RULES = [
    *(r.model_dump() for r in BASIC_RULES),
    {"name": "bureau_delinquent", "when": "bureau_delinquencies >= 3", "action": "reject",
     "reason": "BUREAU_DLQ"},
    {"name": "multi_lending", "when": "bureau_multi_lending >= 4", "action": "reject",
     "reason": "MULTI"},
]
DEFAULT_LENDERS = [
    LenderConfig(name="rules_only", risk=RiskConfig(rules=DEFAULT_RULES)),
    LenderConfig(name="scored", risk=RiskConfig(rules=DEFAULT_RULES,
                                                model={"kind": "logistic"})),
]


class MarketConfig(Section):
    """A whole market: population, scenarios, channels, lenders, policy and run settings."""

    # First field: the plug-ins are imported before the sections that may name what they
    # register (pydantic validates fields in order).
    plugins: list[Annotated[str, AfterValidator(import_plugin)]] = param(
        [], "Importable modules (dotted names) imported before the rest of the config is "
        "checked, so that they can register scorers, pricing policies and stages.")
    run: RunConfig = param(RunConfig(), "Run length, seed and credit-event thresholds.")
    population: PopulationConfig = param(PopulationConfig(), "The consumers.")
    scenarios: list[ScenarioConfig] = param(DEFAULT_SCENARIOS, "Merchant scenarios.",
                                            min_length=1)
    channels: list[ChannelConfig] = param(DEFAULT_CHANNELS, "Acquisition channels.",
                                          min_length=1)
    lenders: list[LenderConfig] = param(DEFAULT_LENDERS, "Competing lenders.", min_length=1,
                                        max_length=100)
    policy: PolicyConfig = param(PolicyConfig(), "Regulator policy.")
    data: DataConfig = param(DataConfig(), "External data sources and biometric checks.")
    payments: PaymentsConfig = param(PaymentsConfig(), "Payment rails.")
    service_channels: ServiceChannelsConfig = param(ServiceChannelsConfig(),
                                                    "Service channels.")
    behaviour: BehaviourConfig = param(BehaviourConfig(), "Behavioural coefficients of "
                                       "consumers, fraudsters and service (calibration).")

    @model_validator(mode="after")
    def _consistent(self) -> MarketConfig:
        for kind, names in (("scenarios", [s.name for s in self.scenarios]),
                            ("channels", [c.name for c in self.channels]),
                            ("lenders", [lender.name for lender in self.lenders])):
            if len(set(names)) != len(names):
                raise ValueError(f"{kind}: names must be unique, got {names}")
            if any(name.isdigit() for name in names):
                raise ValueError(f"{kind}: a name must not be all digits (override paths "
                                 f"such as {kind}.1 address items by position), got {names}")
        if self.run.writeoff_dpd < self.run.default_dpd:
            raise ValueError("run: writeoff_dpd must be >= default_dpd")
        return self

    def product(self, lender: int, kind: str) -> ProductConfig | None:
        """The lender's product of a kind, or None when it does not offer one."""
        for product in self.lenders[lender].products:
            if product.kind == kind:
                return product
        return None
