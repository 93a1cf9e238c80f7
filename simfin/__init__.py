"""simfin: agent-based simulation of internet consumer-finance markets, on Mesa 3.

The public names are imported on first use (PEP 562), so that ``simfin --help`` or a config
error from the command line does not pay for importing Mesa, SciPy and Matplotlib.
"""

from importlib import import_module

__all__ = ["ConfigError", "MarketConfig", "MarketModel", "RunResult", "load_config", "run"]
__version__ = "0.1.0"

_HOMES = {"ConfigError": "simfin.config", "MarketConfig": "simfin.config",
          "load_config": "simfin.config", "MarketModel": "simfin.model",
          "RunResult": "simfin.runner", "run": "simfin.runner"}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'simfin' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
