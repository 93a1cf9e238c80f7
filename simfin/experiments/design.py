"""An experiment: one market config, named scenarios (sets of overrides), replicates with
explicit seeds, and the indicators to compare. Scenarios are parameter sets, not code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from simfin.config import ConfigError, load_config
from simfin.config.base import Section, param
from simfin.config.loading import describe_validation_error

DEFAULT_OUTCOMES = ["approval_rate", "default_rate", "loss_rate", "fraud_loss", "profit"]


class ExperimentConfig(Section):
    """An experiment file (``experiments/*.yaml``)."""

    name: str = param("experiment", "Experiment name, used in output folder names.",
                      min_length=1)
    config: str = param("../configs/baseline.yaml", "Market config, relative to the "
                        "experiment file.", min_length=1)
    overrides: dict[str, Any] = param({}, "Overrides applied to every scenario (dotted "
                                      "paths), e.g. a smaller population.")
    scenarios: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"baseline": {}},
        description="Scenario name -> overrides (dotted paths) that define it.",
        min_length=1)
    seeds: list[int] = param([1, 2, 3], "Replicate seeds; every scenario runs every seed "
                             "(common random numbers).", min_length=1)
    steps: int | None = param(None, "Days per run (default: the config's run.steps).",
                              "days", ge=1)
    outcomes: list[str] = param(DEFAULT_OUTCOMES, "Summary indicators compared in the "
                                "report (per lender and for the market).", min_length=1)

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds) or any(s < 0 for s in seeds):
            raise ValueError("seeds must be distinct non-negative integers")
        return seeds


def load_experiment(path: str | Path) -> tuple[ExperimentConfig, Path]:
    """Read and validate an experiment file; check that every scenario's config loads.

    Returns:
        The experiment and the resolved path of its market config.

    Raises:
        ConfigError: One line naming the field (``scenarios.cap_24.policy.apr_cap: ...``).
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
    for name, overrides in experiment.scenarios.items():
        try:
            load_config(config_path, {**experiment.overrides, **overrides})
        except ConfigError as exc:
            raise ConfigError(f"scenarios.{name}: {exc}") from None
    return experiment, config_path
