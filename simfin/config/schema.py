"""The root of a market config: one section per concern."""

from __future__ import annotations

import typing
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field, model_validator

from simfin.config.base import Section, did_you_mean, param
from simfin.config.baseline import baseline_data
from simfin.config.behaviour import BehaviourConfig
from simfin.config.data import DataConfig
from simfin.config.funding import check_partners
from simfin.config.lenders import LenderConfig, ProductConfig
from simfin.config.macro import MacroConfig
from simfin.config.market import ChannelConfig, ProductKind, ScenarioConfig
from simfin.config.operations import PaymentsConfig, ServiceChannelsConfig
from simfin.config.plugins import import_plugin
from simfin.config.policy import PolicyConfig, RunConfig
from simfin.config.population import PopulationConfig
from simfin.config.provisions import ProvisionsConfig
from simfin.lending.data_sources import MAX_SOURCES, source_layout
from simfin.lending.registry import SOURCES
from simfin.lending.rules import compile_condition

# Scenario and channel indices are int8 columns in the loan book and the application batch.
MAX_CODED_ITEMS = int(np.iinfo(np.int8).max)
# What only a lender's own channel has (ChannelConfig.owner).
OWNED_CHANNEL_FIELDS = ("customer_share", "customer_income_elasticity", "first_look_share",
                        "knows_income")


def _baseline_list(section: str, item: type[Section], description: str, note: str = "",
                   **constraints: Any) -> Any:
    """A list field whose default is the baseline's list (``configs/baseline.yaml``), read
    when a config leaves the list out: the code holds no market of its own.
    """
    def default() -> list:
        return [item.model_validate(data) for data in baseline_data()[section]]

    return Field(default_factory=default, description=f"{description} Left out: the "
                 f"{section} of configs/baseline.yaml{note}.", **constraints)


def _name(item: Any) -> Any:
    return item.get("name", "lender") if isinstance(item, dict) else getattr(item, "name",
                                                                              None)


class MarketConfig(Section):
    """A whole market: population, scenarios, channels, lenders, policy and run settings."""

    # First field: the plug-ins are imported before the sections that may name what they
    # register (pydantic validates fields in order).
    plugins: list[Annotated[str, AfterValidator(import_plugin)]] = param(
        [], "Importable modules (dotted names) imported before the rest of the config is "
        "checked, so that they can register scorers, pricing policies and stages.")
    run: RunConfig = param(RunConfig(), "Run length, seed and credit-event thresholds.")
    population: PopulationConfig = param(PopulationConfig(), "The consumers.")
    scenarios: list[ScenarioConfig] = _baseline_list("scenarios", ScenarioConfig,
                                                     "Merchant scenarios.", min_length=1,
                                                     max_length=MAX_CODED_ITEMS)
    channels: list[ChannelConfig] = _baseline_list("channels", ChannelConfig,
                                                   "Acquisition channels.", " (with other "
                                                   "lenders: a lender's own channel only "
                                                   "when its owner is among them)", min_length=1,
                                                   max_length=MAX_CODED_ITEMS)
    lenders: list[LenderConfig] = _baseline_list("lenders", LenderConfig, "Competing lenders.",
                                                 min_length=1, max_length=100)
    policy: PolicyConfig = param(PolicyConfig(), "Regulator policy.")
    data: DataConfig = param(DataConfig(), "External data sources and biometric checks.")
    payments: PaymentsConfig = param(PaymentsConfig(), "Payment rails.")
    service_channels: ServiceChannelsConfig = param(ServiceChannelsConfig(),
                                                    "Service channels.")
    behaviour: BehaviourConfig = param(BehaviourConfig(), "Behavioural coefficients of "
                                       "consumers, fraudsters and service (calibration).")
    macro: MacroConfig = param(MacroConfig(), "The macroeconomic path the market goes "
                               "through (steady by default).")
    provisions: ProvisionsConfig = param(ProvisionsConfig(), "IFRS 9 (CAS 22) expected "
                                         "credit losses: how each lender measures its "
                                         "allowance from its own book.")

    @model_validator(mode="before")
    @classmethod
    def _owned_channels_of_its_lenders(cls, data: Any) -> Any:
        """A config with lenders of its own and the baseline's channels (left out, or the
        baseline's list as it is: a baseline file whose lenders an override replaced) has
        the baseline's market channels, and its owned channels only when their owner is
        one of its lenders (the bank's app is no channel of a market without the bank).
        """
        if not (isinstance(data, dict) and isinstance(data.get("lenders"), list)):
            return data
        baseline = baseline_data()["channels"]
        if data.get("channels", baseline) == baseline:
            names = {_name(item) for item in data["lenders"]}
            data = {**data, "channels": [c for c in baseline if c.get("owner") is None
                                         or c["owner"] in names]}
        return data

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
        check_partners([lender.name for lender in self.lenders],
                       [lender.funding for lender in self.lenders])
        self._check_demand_paths()
        self._check_sources()
        self._check_owned_channels()
        if self.run.writeoff_dpd < self.run.default_dpd:
            raise ValueError("run: writeoff_dpd must be >= default_dpd")
        return self

    def _check_demand_paths(self) -> None:
        """A custom demand path names a scenario of the market or a product kind."""
        known = [s.name for s in self.scenarios] + list(typing.get_args(ProductKind))
        for name in self.macro.custom.demand:
            if name not in known:
                raise ValueError(f"macro: custom.demand: no scenario or product named "
                                 f"{name!r}{did_you_mean(name, known)}")

    def _check_owned_channels(self) -> None:
        """An owned channel names a lender of the market and has no market reach; only an
        owned channel has customers (their fields keep their defaults elsewhere).
        """
        lenders = [lender.name for lender in self.lenders]
        defaults = ChannelConfig.model_fields
        for i, channel in enumerate(self.channels):
            if channel.owner is None:
                for name in OWNED_CHANNEL_FIELDS:
                    if getattr(channel, name) != defaults[name].default:
                        raise ValueError(f"channels.{i}.{name}: only a lender's own channel "
                                         f"(one with an owner) has customers")
            elif channel.owner not in lenders:
                raise ValueError(f"channels.{i}.owner: no lender named {channel.owner!r} in "
                                 f"the market{did_you_mean(channel.owner, lenders)}")
            elif channel.reach != defaults["reach"].default:
                raise ValueError(f"channels.{i}.reach: an owned channel reaches its owner's "
                                 f"customers (customer_share, first_look_share), not a share "
                                 f"of the market's traffic")

    def _check_sources(self) -> None:
        """The market's data sources fit the bits of ``data_queried``, and every rule reads
        fields of sources in the market (a plug-in's is there when data.sources gives it
        or a lender lists it).
        """
        layout = source_layout(self)
        if len(layout) > MAX_SOURCES:
            raise ValueError(f"data: at most {MAX_SOURCES} data sources in a market (a bit "
                             f"each in data_queried), got {len(layout)}")
        offered = set(SOURCES.catalogue(layout))
        for lender in self.lenders:
            risks = [("risk", lender.risk)] + ([("challenger.risk", lender.challenger.risk)]
                                                if lender.challenger else [])
            for where, risk in risks:
                for rule in risk.rules:
                    missing = sorted(compile_condition(rule.when).fields - offered)
                    if missing:
                        source = SOURCES.catalogue()[missing[0]][1]
                        raise ValueError(
                            f"lenders: {lender.name}.{where}.rules.{rule.name} reads "
                            f"{missing[0]} of data source {source!r}, which the market does "
                            f"not have: list it in a lender's risk.data_sources or give "
                            f"data.sources.{source}")

    def product(self, lender: int, kind: str) -> ProductConfig | None:
        """The lender's product of a kind, or None when it does not offer one."""
        for product in self.lenders[lender].products:
            if product.kind == kind:
                return product
        return None
