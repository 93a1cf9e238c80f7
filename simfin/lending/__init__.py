"""The lender's pipeline on an ``ApplicationBatch``, the loan book and the ledger.

This package knows nothing of the model, the CLI or files: stages take and return batches.
Plug in your own strategies with :func:`register_scorer` and :func:`register_pricing`.
"""

from simfin.lending import pricing, scoring  # noqa: F401  (registers the built-ins)
from simfin.lending.batch import ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Pipeline
from simfin.lending.registry import PRICING, SCORERS, register_pricing, register_scorer

__all__ = ["PRICING", "SCORERS", "ApplicationBatch", "DecisionContext", "Pipeline",
           "register_pricing", "register_scorer"]
