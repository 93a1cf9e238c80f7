"""The lender's pipeline on an ``ApplicationBatch``, the loan book and the ledger.

This package knows nothing of the model, the agents, the CLI or files: stages take and
return batches. Plug in your own parts with :func:`register_stage` (a pipeline step, see
``docs/adding_a_stage.md``), :func:`register_source` (a data source, see
``docs/adding_a_data_source.md``), :func:`register_scorer`, :func:`register_pricing`,
:func:`register_reject_inference` and :func:`register_strategy` (a lender's response to
what it observes, see ``docs/adding_a_strategy.md``).
"""

from simfin.lending import (  # noqa: F401  (registers the built-ins)
    assembly,
    demand_pricing,
    pricing,
    reject_inference,
    scoring,
    sources,
    strategies,
)
from simfin.lending.assembly import STANDARD_STEPS, StageBuild
from simfin.lending.batch import ApplicationBatch
from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.pipeline import DecisionContext, Outcomes, Pipeline, Stage
from simfin.lending.registry import (
    PRICING,
    REJECT_INFERENCE,
    SCORERS,
    SOURCES,
    STAGES,
    STRATEGIES,
    register_pricing,
    register_reject_inference,
    register_scorer,
    register_source,
    register_stage,
    register_strategy,
)

__all__ = ["PRICING", "REJECT_INFERENCE", "SCORERS", "SOURCES", "STAGES", "STANDARD_STEPS",
           "STRATEGIES", "ApplicationBatch", "DataSource", "DecisionContext", "Outcomes",
           "Pipeline", "SourceBuild", "Stage", "StageBuild", "register_pricing",
           "register_reject_inference", "register_scorer", "register_source",
           "register_stage", "register_strategy"]
