"""The answer key (``true_pd`` in the application record): hidden from the lender, and it
ranks and calibrates the realised outcomes of booked loans.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import simfin
from simfin.lending import Stage, register_stage
from simfin.lending.registry import SOURCES
from simfin.lending.scoring import MODEL_FEATURES, source_column

STEPS = 240


@pytest.fixture(scope="module")
def matured():
    """Booked loans of a small default market whose whole term (and 30 days) has passed."""
    run = simfin.run("configs/baseline.yaml", steps=STEPS, seed=3,
                     overrides={"population.n_consumers": 6000, "run.writeoff_dpd": 90})
    apps = run.applications
    booked = apps[(apps["loan_id"] >= 0)
                  & (apps["day"] + apps["term_days"] + 31 < STEPS)]
    return apps, booked


def test_true_pd_is_recorded_for_every_application(matured):
    apps, _ = matured
    assert len(apps) > 1000
    assert apps["true_pd"].notna().all()
    assert apps["true_pd"].between(0, 1).all()


SEEN: list[set[str]] = []


class _Spy(Stage):
    """A pipeline step that notes the columns of every batch it is given."""

    def run(self, batch, ctx):
        SEEN.append(set(batch.columns))
        return batch


@register_stage("answer_key_spy")
def _spy(build):
    return _Spy()


def test_the_lender_cannot_read_the_answer_key():
    # Rules read the registered fields, models MODEL_FEATURES: neither names the key ...
    assert "true_pd" not in SOURCES.field_names()
    assert not any("true" in source_column(f) for f in MODEL_FEATURES)
    # ... and no step of the pipeline (here, one placed last, before pricing) is given it.
    SEEN.clear()
    run = simfin.run("configs/baseline.yaml", steps=10, seed=1, overrides={
        "population.n_consumers": 1500,
        "lenders.platform.risk.stages": [{"name": "answer_key_spy", "before": "pricing"}]})
    assert SEEN and run.applications["true_pd"].notna().all()  # the key was recorded
    assert not any("true_pd" in cols or "truth_pd" in cols for cols in SEEN)


def test_true_pd_ranks_realised_outcomes(matured):
    _, booked = matured
    bad = booked["ever_30dpd"].astype(bool).to_numpy()
    assert len(booked) > 1500 and bad.sum() >= 30  # precondition: outcomes to rank
    assert roc_auc_score(bad, booked["true_pd"].to_numpy()) > 0.8


def test_true_pd_calibrates_realised_outcomes(matured):
    _, booked = matured
    bad = booked["ever_30dpd"].astype(float).to_numpy()
    key = booked["true_pd"].to_numpy(np.float64)
    # Overall: the expected bad rate within a third of the realised one.
    assert abs(key.mean() - bad.mean()) < bad.mean() / 3
    # Binned: the riskiest fifth carries the bads, and each bin's mean key is within
    # binomial noise (4 standard errors) plus 2 points of its realised bad rate.
    order = np.argsort(key)
    for part in np.array_split(order, 5):
        expected, realised = key[part].mean(), bad[part].mean()
        se = np.sqrt(max(expected * (1 - expected), 1e-4) / len(part))
        assert abs(expected - realised) < 4 * se + 0.02, (expected, realised)
