"""An experiment file: one market config, named scenarios (sets of overrides), an optional
design of varied parameters and sensitivity analysis, replicate seeds, and the outcomes to
compare. Scenarios and designs are parameter sets, not code. Every name that becomes part of
a file path (experiment, scenarios, outcomes) is a safe name (``SAFE_NAME_PATTERN``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from simfin.config import ConfigError, load_config
from simfin.config.base import SAFE_NAME_PATTERN, Section, name_param, param
from simfin.config.errors import describe_validation_error
from simfin.experiments.outcomes import (
    Produced,
    check,
    check_window,
    normalise,
    parse,
    produced,
)
from simfin.experiments.sampling import Design
from simfin.experiments.sensitivity import Sensitivity
from simfin.memory import check_fits

DEFAULT_OUTCOMES = ["approval_rate", "default_rate", "loss_rate", "fraud_loss", "profit"]
MODELS = ("simfin", "ishigami")


def _safe(name: str, field: str) -> str:
    if not re.match(SAFE_NAME_PATTERN, name):
        raise ValueError(f"{field}: {name!r} is not a safe name (letters, digits, '_', '-' "
                         "and '.' not leading, at most 64 characters)")
    return name


class ExperimentConfig(Section):
    """An experiment file (``experiments/*.yaml``)."""

    name: str = name_param("experiment", "Experiment name, used in output folder names.")
    model: Literal["simfin", "ishigami"] = param(
        "simfin", "What a run evaluates: simfin (the market) or ishigami (SALib's test "
        "function with known Sobol' indices, to check the sampling and analysis plumbing).")
    config: str = param("../configs/baseline.yaml", "Market config, relative to the "
                        "experiment file.", min_length=1)
    overrides: dict[str, Any] = param({}, "Overrides applied to every run (dotted "
                                      "paths), e.g. a smaller population.")
    scenarios: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"baseline": {}},
        description="Scenario name -> overrides (dotted paths) that define it.",
        min_length=1)
    baseline: str | None = param(None, "Scenario the others are compared with (default: "
                                 "the first).")
    seed: int = param(0, "Root seed: replicate seeds and the design's sampler are derived "
                      "from it with numpy.random.SeedSequence.", ge=0)
    replicates: int = param(3, "Replicates per scenario and design point (ignored when "
                            "seeds are listed).", ge=1, le=10_000)
    seeds: list[int] | None = param(None, "Explicit replicate seeds; every scenario and "
                                    "point runs every seed (common random numbers).",
                                    min_length=1)
    steps: int | None = param(None, "Days per run (default: the config's run.steps).",
                              "days", ge=1)
    outcomes: list[str] = param(DEFAULT_OUTCOMES, "Summary indicators compared in the "
                                "report (per lender and for the market); dotted paths reach "
                                "breakdowns, e.g. by_channel.social.cac; a flow indicator "
                                "over a window of days is approval_rate[180:365] or "
                                "{outcome: approval_rate, window: [180, 365]} (days 180 to "
                                "364). Money in yuan.", min_length=1)
    interval: Literal["auto", "t", "bootstrap"] = param(
        "auto", "95 % intervals over replicates: t (Student), bootstrap "
        "(scipy.stats.bootstrap, BCa) or auto (bootstrap below 10 replicates, else t).")
    design: Design | None = param(None, "Parameters varied over a design (sweep).")
    sensitivity: Sensitivity | None = param(None, "Sensitivity indices (needs design).")

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, seeds: list[int] | None) -> list[int] | None:
        if seeds is not None and (len(set(seeds)) != len(seeds)
                                  or any(not 0 <= s <= 10**9 for s in seeds)):
            raise ValueError("seeds must be distinct integers from 0 to 1000000000")
        return seeds

    @field_validator("scenarios")
    @classmethod
    def _safe_scenarios(cls, scenarios: dict) -> dict:
        for name in scenarios:
            _safe(name, "scenario name")
        return scenarios

    @field_validator("outcomes", mode="before")
    @classmethod
    def _windows_as_names(cls, outcomes: Any) -> Any:
        return [normalise(o) for o in outcomes] if isinstance(outcomes, list) else outcomes

    @field_validator("outcomes")
    @classmethod
    def _safe_outcomes(cls, outcomes: list[str]) -> list[str]:
        for name in outcomes:
            _safe(parse(name).indicator, "outcome")
        if len(set(outcomes)) != len(outcomes):
            raise ValueError("outcomes must be distinct")
        return outcomes

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentConfig:
        if self.baseline is not None and self.baseline not in self.scenarios:
            raise ValueError(f"baseline: no scenario named {self.baseline!r}")
        if self.sensitivity is not None:
            if self.design is None:
                raise ValueError("sensitivity: needs a design (the parameters to vary)")
            if self.design.method != self.sensitivity.method:
                raise ValueError(f"design.method: must be {self.sensitivity.method} for "
                                 f"sensitivity {self.sensitivity.method} (SALib's design)")
            for name in self.sensitivity.outcomes:
                _safe(parse(name).indicator, "sensitivity.outcomes")
                if name not in self.outcomes:
                    raise ValueError(f"sensitivity.outcomes: {name!r} is not an outcome")
        elif self.design is not None and self.design.method == "morris":
            raise ValueError("design.method: morris needs sensitivity: {method: morris}")
        return self

    @property
    def baseline_scenario(self) -> str:
        """The scenario differences are taken against."""
        return self.baseline or next(iter(self.scenarios))

    @property
    def sensitivity_outcomes(self) -> list[str]:
        """Outcomes the sensitivity analysis covers."""
        return (self.sensitivity.outcomes or self.outcomes) if self.sensitivity else []


def load_experiment(path: str | Path) -> tuple[ExperimentConfig, Path]:
    """Read and validate an experiment file; check that every scenario's config loads and
    fits the machine's memory (:func:`simfin.memory.check_fits`, as each run will), and
    that every design parameter's extreme values are valid for its config path.

    Returns:
        The experiment and the resolved path of its market config.

    Raises:
        ConfigError: One line naming the field (``scenarios.cap_24: policy.apr_cap: ...``).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    try:
        experiment = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    config_path = (path.parent / experiment.config).resolve()
    if experiment.model != "simfin":
        made = Produced({"y": 0.0}, frozenset())  # SALib's Ishigami function: y
        for name in experiment.outcomes:
            check(parse(name), made)
        return experiment, config_path
    if not config_path.is_file():
        raise ConfigError(f"config: {experiment.config}: file not found (looked for "
                          f"{config_path}, relative to the experiment file's folder)")
    steps = {"run.steps": experiment.steps} if experiment.steps else {}
    for name, overrides in experiment.scenarios.items():
        try:  # as its runs will be: loaded with the experiment's steps, and fitting memory
            scenario = load_config(config_path, {**experiment.overrides, **overrides, **steps})
            check_fits(scenario)
        except ConfigError as exc:
            raise ConfigError(f"scenarios.{name}: {exc}") from None
        for outcome in experiment.outcomes:
            check_window(parse(outcome), scenario.run.total_days, name)
    made = produced(config_path, experiment.overrides, list(experiment.scenarios.values()))
    for name in experiment.outcomes:
        check(parse(name), made)
    if experiment.design is not None:
        for dotted, spec in experiment.design.parameters.items():
            for value in spec.extremes():
                try:
                    check_fits(load_config(config_path, {**experiment.overrides, **steps,
                                                         dotted: value}))
                except ConfigError as exc:
                    raise ConfigError(f"design.parameters.{dotted}: {exc}") from None
    return experiment, config_path
