"""The market's external data sources and biometric verification methods (their quality,
price and speed); which of them a lender uses is part of its strategy.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError, field_validator

from simfin.config.base import PROBABILITY, Section, did_you_mean, param
from simfin.lending.registry import BUILT_IN_SOURCES, SOURCES


class DataSourceConfig(Section):
    """Price, speed and coverage of one external data source."""

    coverage: float = param(1.0, "Share of consumers the source has a record for (the "
                            "bureau's coverage is the population's non-thin-file share).",
                            "share", **PROBABILITY)
    cost_cents: int = param(100, "Price of one query.", "cents", ge=0)
    latency_minutes: float = param(0.1, "Minutes one query adds to the decision.", "minutes",
                                   ge=0.0)


class PluginSourceConfig(DataSourceConfig):
    """A data source a plug-in registers (``simfin.lending.register_source``, see
    docs/adding_a_data_source.md): price, speed, coverage and its own parameters.
    """

    settings: dict[str, Any] = param({}, "The source's own parameters, checked against the "
                                     "settings section it was registered with (its factory "
                                     "reads them as build.settings).")


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
    sources: dict[str, PluginSourceConfig] = param(
        {}, "Data sources registered by plug-ins (simfin.lending.register_source), by name "
        "(data.sources.NAME): coverage, price, latency and the source's settings. A lender "
        "queries one by listing it in risk.data_sources; one listed there and not here has "
        "the defaults.")

    @field_validator("sources")
    @classmethod
    def _registered_plugins(cls, sources: dict[str, PluginSourceConfig]
                            ) -> dict[str, PluginSourceConfig]:
        for name in sources:
            if name in BUILT_IN_SOURCES:
                raise ValueError(f"{name!r} is a built-in source: its section is "
                                 f"data.{name}, not data.sources.{name}")
            check_source_name(name)
            check_settings(name, sources[name].settings)
        return sources

    def section(self, name: str) -> DataSourceConfig | None:
        """The config section of data source ``name``: ``data.<name>`` for a built-in,
        ``data.sources.<name>`` for a plug-in (the defaults when not given); None for a
        source without one (the unified service platform's own profile).
        """
        if name in BUILT_IN_SOURCES:
            return getattr(self, name, None)
        return self.sources.get(name) or PluginSourceConfig()


def check_source_name(name: str) -> str:
    """``name`` if a data source is registered under it; ValueError with the registered
    names (and the closest) otherwise.
    """
    if name not in SOURCES:
        names = [n for n in SOURCES.names() if SOURCES.declared(n).listed]
        raise ValueError(f"unknown data source {name!r}{did_you_mean(name, names)}; "
                         f"registered: {', '.join(names)} (a plug-in's module goes in "
                         "plugins:)")
    return name


def check_settings(name: str, settings: dict[str, Any]) -> None:
    """``data.sources.<name>.settings`` against the settings section the source was
    registered with; ValueError naming the setting and the reason otherwise.
    """
    model = SOURCES.declared(name).settings
    if model is None:
        if settings:
            raise ValueError(f"{name}.settings: the source takes no settings, got "
                             f"{sorted(settings)}")
        return
    try:
        model.model_validate(settings)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        reason = (f"unknown setting{did_you_mean(error['loc'][-1], model.model_fields)}"
                  if error["type"] == "extra_forbidden"
                  else f"{error['msg'].lower()}, got {error.get('input')!r}")
        raise ValueError(f"{name}.settings.{where}: {reason}") from None


def check_bought_source(name: str) -> str:
    """An item of a lender's ``risk.data_sources``: a registered source a lender buys."""
    check_source_name(name)
    if not SOURCES.declared(name).listed:
        raise ValueError(f"{name!r} is not bought: a lender whose service.mode is 'unified' "
                         "queries it")
    return name


def check_listed_once(names: list[str]) -> list[str]:
    """A lender's ``risk.data_sources`` names each source once (each query is paid)."""
    if len(set(names)) != len(names):
        raise ValueError(f"a source is listed twice: {names}")
    return names
