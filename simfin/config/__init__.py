"""Market configuration: pydantic schema by concern, YAML loading and overrides."""

from simfin.config.behaviour import BehaviourConfig
from simfin.config.errors import ConfigError
from simfin.config.lenders import (
    LenderConfig,
    ModelConfig,
    PricingConfig,
    ProductConfig,
    RiskConfig,
    RuleConfig,
)
from simfin.config.loading import dump_config, load_config, validate
from simfin.config.market import ChannelConfig, ScenarioConfig
from simfin.config.policy import PolicyConfig, RunConfig
from simfin.config.population import COHORTS, REGIONS, PopulationConfig
from simfin.config.schema import MarketConfig

__all__ = [
    "COHORTS", "REGIONS", "BehaviourConfig", "ChannelConfig", "ConfigError", "LenderConfig",
    "MarketConfig", "ModelConfig", "PolicyConfig", "PricingConfig", "ProductConfig", "RiskConfig",
    "RuleConfig", "RunConfig", "ScenarioConfig", "PopulationConfig", "dump_config",
    "load_config", "validate",
]
