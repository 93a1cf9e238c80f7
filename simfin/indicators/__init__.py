"""Everything that measures a run, outside the model's decisions.

The day's rows (:mod:`~simfin.indicators.recording`), the ``DataCollector``'s totals
(:mod:`~simfin.indicators.reporters`), the application log
(:mod:`~simfin.indicators.application_log`), the run's summary indicators
(:mod:`~simfin.indicators.summary`), a model's score measures
(:mod:`~simfin.indicators.score_performance`) and the run's health checks
(:mod:`~simfin.indicators.health`). This package reads the lending layer and the config
and knows nothing of the model, the agents, the runner, the outputs, the experiments, the
viz or the CLI.
"""
