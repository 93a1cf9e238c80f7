"""The pipeline is a list of named steps, checked when built; stages declare what they are."""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.config import ConfigError
from simfin.lending import STANDARD_STEPS, DecisionContext, Outcomes, Pipeline, Stage
from simfin.lending.batch import APPROVED, ApplicationBatch
from simfin.lending.rules import RuleEngine
from simfin.lending.scoring import ScoringStage
from tests.conftest import TWO_LENDERS


class Nothing(Stage):
    def run(self, batch, ctx):
        return batch


class Learner(Stage):
    learns = True

    def __init__(self):
        self.seen = []

    def run(self, batch, ctx):
        return batch

    def observe(self, outcomes):
        self.seen.append(len(outcomes.bad))

    @property
    def in_use(self):
        return bool(self.seen)


def test_steps_are_checked_when_the_pipeline_is_built():
    with pytest.raises(ValueError, match="appears twice"):
        Pipeline([("a", Nothing()), ("a", Nothing())])
    with pytest.raises(TypeError, match="is not a simfin.lending.Stage"):
        Pipeline([("a", object())])
    with pytest.raises(TypeError, match="does not implement run"):
        Pipeline([("a", Stage())])
    with pytest.raises(TypeError, match="pair"):
        Pipeline([Nothing()])
    with pytest.raises(ValueError, match="non-empty"):
        Pipeline([("", Nothing())])


def test_steps_are_reached_by_name_and_learners_observe_outcomes():
    learner = Learner()
    pipeline = Pipeline([("first", Nothing()), ("learner", learner)])
    assert pipeline["learner"] is learner and "first" in pipeline
    with pytest.raises(KeyError, match="first, learner"):
        pipeline["missing"]
    assert pipeline.learners == [learner] and not learner.in_use
    pipeline.observe(Outcomes(3, np.zeros((4, 2), np.float32), np.zeros(4, bool)))
    assert learner.seen == [4] and learner.in_use
    batch = ApplicationBatch({"consumer": np.arange(3)})
    out = pipeline.run(batch, DecisionContext(day=0, rng=np.random.default_rng(0)))
    assert (out["decision"] == APPROVED).all()  # nothing declined: every row approved


def test_a_lender_pipeline_has_the_standard_named_steps_and_both_rule_engines():
    model = simfin.MarketModel(simfin.load_config(TWO_LENDERS, {"population.n_consumers": 1000}))
    scored = model.lenders[1]
    # The ring graph is off by default: a disabled step is no step.
    assert "ring_graph" in STANDARD_STEPS and "ring_graph" not in scored.pipeline
    assert scored.pipeline.names == [s for s in STANDARD_STEPS[:5] if s != "ring_graph"] + [
        "scoring", "pricing"]
    assert isinstance(scored.pipeline["rules_on_application"], RuleEngine)
    assert isinstance(scored.pipeline["rules_on_data"], RuleEngine)
    assert isinstance(scored.pipeline["scoring"], ScoringStage)
    assert scored.learners == [scored.pipeline["scoring"]]
    assert model.lenders[0].learners == []  # rules only: nothing learns


def test_extra_steps_are_config_errors_when_unknown_or_misplaced():
    with pytest.raises(ConfigError, match="unknown pipeline stage 'no_such_stage'"):
        simfin.load_config(TWO_LENDERS, {"lenders.0.risk.stages": [{"name": "no_such_stage"}]})
    with pytest.raises(ConfigError, match="not a step before it"):
        simfin.load_config(TWO_LENDERS, {"lenders.0.risk.stages": [
            {"name": "x", "kind": "pricing", "before": "nowhere"}]})
    with pytest.raises(ConfigError, match="already taken"):
        simfin.load_config(TWO_LENDERS, {"lenders.0.risk.stages": [{"name": "pricing"}]})
