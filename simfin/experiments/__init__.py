"""Experiments: scenarios x design points x replicate seeds, on any executor, resumable."""

from simfin.experiments.analysis import comparison_markdown, interval, scenario_table
from simfin.experiments.design import ExperimentConfig, load_experiment
from simfin.experiments.execution import ExperimentResult, run_experiment
from simfin.experiments.executors import EXECUTORS
from simfin.experiments.plan import RunTask, plan

__all__ = ["EXECUTORS", "ExperimentConfig", "ExperimentResult", "RunTask",
           "comparison_markdown", "interval", "load_experiment", "plan", "run_experiment",
           "scenario_table"]
