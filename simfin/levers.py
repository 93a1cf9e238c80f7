"""Levers: the main knobs of a market as plain keyword arguments of ``MarketModel``.

Mesa's tools drive a model through its constructor's keyword arguments:
``mesa.batch_run(MarketModel, parameters={"apr_cap": [0.24, 0.36]})`` and SolaraViz sliders
both call ``MarketModel(**kwargs)``. Each lever is a shorthand for one or more config
fields; the levers become config overrides and go through the same validation as
``--set``, so a bad lever or value is a one-line :class:`~simfin.config.ConfigError`.

A lender lever without a suffix sets every lender (``approval_threshold=0.3``); with a
double-underscore suffix it sets one lender, by name (``approval_threshold__platform=0.3``).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import numpy as np

from simfin.config import ConfigError, MarketConfig, load_config
from simfin.config.macro import SCENARIOS

LENDER_SEPARATOR = "__"


@dataclass(frozen=True)
class Lever:
    """One lever: the config fields it sets and how a value is read.

    Attributes:
        fields: Dotted config paths, relative to the market (market levers) or to one
            lender's section (lender levers).
        description: One sentence for the README and ``describe_levers``.
    """

    fields: tuple[str, ...]
    description: str


MARKET_LEVERS: dict[str, Lever] = {
    "n_consumers": Lever(("population.n_consumers",), "Consumers in the market."),
    "seed": Lever(("run.seed",), "Seed of the run (same as rng=, recorded in the config)."),
    "steps": Lever(("run.steps",), "Days to run; the model stops (running=False) after "
                   "them."),
    "runoff_days": Lever(("run.runoff_days",), "Days of run-off after the steps: no loan is "
                         "made, the open book runs to its end (lifetime profit)."),
    "apr_cap": Lever(("policy.apr_cap",), "Regulator's all-in APR cap (rate/year); None for "
                     "no cap."),
    "consortium": Lever(("policy.consortium",), "Whether the information-sharing consortium "
                        "exists."),
    "macro_scenario": Lever(("macro.scenario",), "Macroeconomic path: "
                            + ", ".join(f"'{name}'" for name in SCENARIOS)
                            + " (simfin/config/macro_paths.yaml)."),
}
LENDER_LEVERS: dict[str, Lever] = {
    "approval_threshold": Lever(("risk.approval_threshold",), "Highest predicted default "
                                "probability approved once the model is in use."),
    "risk_model": Lever(("risk.model.kind",), "Scoring model: 'none' (rules only), "
                        "'logistic', 'gbm' or a registered name."),
    "pricing": Lever(("pricing.strategy",), "Pricing policy: 'risk_based', 'flat', "
                     "'optimised' or a registered name."),
    "verification": Lever(("risk.verification",), "Biometric check: 'none', 'face', "
                          "'voice' or 'iris'."),
    "data_sources": Lever(("risk.data_sources",), "External data queried: a list, or one "
                          "string joined by '+' ('bureau+id_registry'); '' or 'none' for "
                          "none."),
    "payment_rail": Lever(("payment.disbursement_rail", "payment.repayment_rail"),
                          "Rail for disbursement and collection: 'mobile_wallet' or "
                          "'bank_transfer'."),
    "auto_debit": Lever(("payment.auto_debit",), "Whether instalments are debited "
                        "automatically."),
    "service_mode": Lever(("service.mode",), "Service model: 'siloed' or 'unified'."),
}


def lever_names(config: MarketConfig | None = None) -> list[str]:
    """Every lever name: market levers, lender levers, and with a config each lender
    lever suffixed with each lender's name.
    """
    names = [*MARKET_LEVERS, *LENDER_LEVERS]
    if config is not None:
        names += [f"{lever}{LENDER_SEPARATOR}{lender.name}" for lender in config.lenders
                  for lever in LENDER_LEVERS]
    return names


def lever_overrides(config: MarketConfig, levers: dict[str, Any]) -> dict[str, Any]:
    """The config overrides (dotted path -> value) that a set of levers stands for.

    Args:
        config: The market the levers apply to (lender names and count come from it).
        levers: Lever name -> value, as given to ``MarketModel(**levers)``.

    Returns:
        Dotted config paths to plain Python values, for :func:`simfin.config.load_config`.

    Raises:
        ConfigError: A lever name that is not known, or names no lender of the market.
    """
    names = [lender.name for lender in config.lenders]
    overrides: dict[str, Any] = {}
    for name, raw in levers.items():
        value = _plain(raw)
        if name in MARKET_LEVERS:
            for field in MARKET_LEVERS[name].fields:
                overrides[field] = value
            continue
        lever, sep, lender = name.partition(LENDER_SEPARATOR)
        if lever not in LENDER_LEVERS:
            close = get_close_matches(lever, lever_names(), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{name}: unknown lever ({hint}levers: "
                              f"{', '.join(lever_names())}; a lender lever may end in "
                              f"{LENDER_SEPARATOR}<lender name>)")
        if sep and lender not in names:
            raise ConfigError(f"{name}: no lender named {lender!r} (lenders: "
                              f"{', '.join(names)})")
        if lever == "data_sources":
            value = _source_list(value)
        targets = [names.index(lender)] if sep else range(len(names))
        for index in targets:
            for field in LENDER_LEVERS[lever].fields:
                overrides[f"lenders.{index}.{field}"] = value
    return overrides


def apply_levers(config: MarketConfig, levers: dict[str, Any]) -> MarketConfig:
    """The config with the levers applied and validated.

    A lender-specific lever (``approval_threshold__platform``) wins over the same lever for
    every lender, whatever the order they are given in.

    Raises:
        ConfigError: One line naming the lever, e.g.
            ``approval_threshold (lenders.1.risk.approval_threshold): must be <= 1, got 1.7``.
    """
    general = {k: v for k, v in levers.items() if LENDER_SEPARATOR not in k}
    specific = {k: v for k, v in levers.items() if LENDER_SEPARATOR in k}
    overrides = {**lever_overrides(config, general), **lever_overrides(config, specific)}
    if not overrides:
        return config
    try:
        return load_config(config, overrides)
    except ConfigError as exc:
        raise ConfigError(_name_the_lever(str(exc), config, levers)) from None


def _name_the_lever(message: str, config: MarketConfig, levers: dict[str, Any]) -> str:
    """Put the lever's name in front of the config path an error names."""
    for name in levers:
        for path in lever_overrides(config, {name: levers[name]}):
            if message.startswith(f"{path}:") or message.startswith(f"{path}."):
                return f"{name} ({message.partition(':')[0]}):{message.partition(':')[2]}"
    return message


def _plain(value: Any) -> Any:
    """NumPy scalars (from ``np.linspace`` and friends) as plain Python values, which the
    strict config schema accepts.
    """
    return value.item() if isinstance(value, np.generic) else value


def _source_list(value: Any) -> Any:
    """A data-source list from a list, or from one '+'-joined string (a Select's value)."""
    if not isinstance(value, str):
        return list(value) if isinstance(value, tuple) else value
    if value.strip().lower() in ("", "none"):
        return []
    return [part.strip() for part in value.split("+")]


def describe_levers() -> str:
    """A Markdown table of the levers, for the README."""
    rows = ["| lever | sets | what it is |", "|---|---|---|"]
    for levers, scope in ((MARKET_LEVERS, ""), (LENDER_LEVERS, "lenders.N.")):
        for name, lever in levers.items():
            fields = ", ".join(f"`{scope}{f}`" for f in lever.fields)
            rows.append(f"| `{name}` | {fields} | {lever.description} |")
    return "\n".join(rows)
