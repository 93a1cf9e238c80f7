"""simfin: agent-based simulation of internet consumer-finance markets, on Mesa 3."""

from simfin.config import ConfigError, MarketConfig, load_config
from simfin.model import MarketModel
from simfin.runner import RunResult, run

__all__ = ["ConfigError", "MarketConfig", "MarketModel", "RunResult", "load_config", "run"]
__version__ = "0.1.0"
