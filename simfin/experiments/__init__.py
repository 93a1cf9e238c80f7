"""Experiments: scenarios x design points x replicate seeds, on any executor, resumable.

The public names are imported on first use (PEP 562): the command line needs only the
executor registry to build its options, not SciPy and pandas.
"""

from importlib import import_module

__all__ = ["EXECUTORS", "ExperimentConfig", "ExperimentResult", "RunTask",
           "comparison_markdown", "interval", "load_experiment", "plan", "run_experiment",
           "scenario_table"]

_HOMES = {"comparison_markdown": "analysis", "interval": "analysis",
          "scenario_table": "analysis", "ExperimentConfig": "design",
          "load_experiment": "design", "EXECUTORS": "executors", "RunTask": "plan",
          "plan": "plan", "ExperimentResult": "runner", "run_experiment": "runner"}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'simfin.experiments' has no attribute {name!r}")
    value = getattr(import_module(f"simfin.experiments.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
