"""The model's deployment gate: enough bads, and out-of-time validation before it decides."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.indicators.score_performance import validation
from simfin.lending.registry import SCORERS
from simfin.lending.scoring import MODEL_FEATURES, ScoringStage


def outcomes(seed: int, n: int, signal: float, drift: float = 0.0):
    """Loans in booking order: bad depends on feature 0 with weight ``signal``; from the
    middle on, with weight ``signal - drift`` (the market changed).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(MODEL_FEATURES))).astype(np.float32)
    weight = np.where(np.arange(n) < n // 2, signal, signal - drift)
    bad = rng.random(n) < 1 / (1 + np.exp(-(weight * x[:, 0] - 2.5)))
    return x, bad


def stage(**gate) -> ScoringStage:
    return ScoringStage(SCORERS.get("logistic"), 0.15, 100, 0, **gate)


def test_no_fit_is_tried_before_enough_bads():
    x, bad = outcomes(0, 2_000, signal=1.5)
    assert 50 < bad.sum() < 500  # precondition: some bads, fewer than the gate asks
    s = stage(min_bad_outcomes=500, validation_share=0.25, min_validation_auc=0.6)
    assert not s.fit(x, bad, day=30)
    assert s.fits_ == 0 and s.history_ == []


def test_a_fit_that_ranks_the_newest_outcomes_well_is_deployed():
    x, bad = outcomes(1, 4_000, signal=1.5)
    s = stage(min_bad_outcomes=50, validation_share=0.25, min_validation_auc=0.6)
    assert s.fit(x, bad, day=120)
    record = s.history_[-1]
    assert record["deployed"] and record["day"] == 120 and record["in_use_auc"] is None
    assert s.validation_auc_ == record["candidate_auc"] > 0.75
    assert s.n_trained_on_ == 3_000  # the validated fit, on the older three quarters


def test_a_fit_on_noise_is_not_deployed_and_the_lender_stays_on_rules():
    x, bad = outcomes(2, 4_000, signal=0.0)
    assert bad.sum() > 50  # precondition: the gate on bads is passed, a fit is tried
    s = stage(min_bad_outcomes=50, validation_share=0.25, min_validation_auc=0.6)
    assert not s.fit(x, bad, day=120)
    assert s.fits_ == 1 and s.rejected_fits_ == 1 and not s.in_use
    assert s.history_[-1]["candidate_auc"] < 0.6


def test_without_validation_every_fit_is_deployed():
    x, bad = outcomes(2, 4_000, signal=0.0)
    s = stage(validation_share=0.0)
    assert s.fit(x, bad) and s.n_trained_on_ == 4_000 and s.validation_auc_ is None


def test_a_refit_worse_than_the_model_in_use_is_not_deployed():
    x, bad = outcomes(3, 4_000, signal=1.5)
    s = stage(min_bad_outcomes=50, validation_share=0.25, min_validation_auc=0.0)
    assert s.fit(x, bad, day=120)
    weights = s.folded_.weights.copy()
    # Then a spell in which feature 0 pointed the other way, and the newest outcomes are
    # like the first ones again: a refit trained through the spell ranks them worse than
    # the model in use, which is kept (the AUC floor is 0 here: only the comparison acts).
    spell_x, spell_bad = outcomes(4, 4_000, signal=-1.5)
    new_x, new_bad = outcomes(5, 2_700, signal=1.5)
    s.fit(np.vstack([x, spell_x, new_x]), np.concatenate([bad, spell_bad, new_bad]), day=150)
    record = s.history_[-1]
    assert record["in_use_auc"] > record["candidate_auc"] + 0.05
    assert not record["deployed"] and s.rejected_fits_ == 1
    np.testing.assert_array_equal(s.folded_.weights, weights)


def test_validation_summarises_the_refits():
    x, bad = outcomes(1, 4_000, signal=1.5)
    s = stage(min_bad_outcomes=50, validation_share=0.25, min_validation_auc=0.6)
    s.fit(x[:2_000], bad[:2_000], day=30)
    s.fit(x, bad, day=60)
    v = validation(s)
    assert v["fits"] == 2 and v["deployed"] == sum(h["deployed"] for h in v["history"])
    assert v["monitoring_auc"] == s.history_[-1]["in_use_auc"] is not None
    assert validation(None) is None


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5])
def test_the_held_out_outcomes_are_the_newest(share):
    x, bad = outcomes(5, 2_000, signal=1.5)
    s = stage(min_bad_outcomes=10, validation_share=share, min_validation_auc=0.0)
    assert s.fit(x, bad)
    assert s.n_trained_on_ == 2_000 - round(2_000 * share)


@pytest.mark.parametrize("seed", range(6))
def test_binary_auc_is_roc_auc_score(seed):
    from sklearn.metrics import roc_auc_score

    from simfin.lending.scoring import binary_auc

    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 5_000))
    bad = rng.random(n) < rng.uniform(0.05, 0.5)
    bad[:2] = [True, False]
    # Rounded scores: many ties, as float32 probabilities of a few distinct profiles have.
    score = np.round(rng.random(n) + 0.4 * bad, int(rng.integers(1, 4))).astype(np.float32)
    assert binary_auc(bad, score) == roc_auc_score(bad, score)
