"""Experiments: one config, named scenarios of overrides, replicate seeds, executors."""

from simfin.experiments.design import ExperimentConfig, load_experiment
from simfin.experiments.executors import EXECUTORS, RunSpec
from simfin.experiments.runner import compare, comparison_markdown, run_experiment, specs

__all__ = ["EXECUTORS", "ExperimentConfig", "RunSpec", "compare", "comparison_markdown",
           "load_experiment", "run_experiment", "specs"]
