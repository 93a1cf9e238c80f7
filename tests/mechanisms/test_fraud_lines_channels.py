"""Issue 9's fraud, credit-line and channel-data mechanisms, each against its switch.

Every comparison runs the same seeds on both sides (common random numbers). Each test first
asserts its precondition (loans were made, lines were drawn on, the model went live, the
graph linked accounts), then the direction, by more than the seed-to-seed spread.
"""

from __future__ import annotations

import numpy as np
import pytest

import simfin
from simfin.lending.product import REVOLVING
from tests.conftest import TWO_LENDERS

SEEDS = (21, 22, 23)
RING_SEEDS = tuple(range(21, 29))


def market(overrides: dict, steps: int, seed: int) -> simfin.MarketModel:
    model = simfin.MarketModel(simfin.load_config(TWO_LENDERS, {**overrides, "run.seed": seed}))
    for _ in range(steps):
        model.step()
    return model


def loans(model: simfin.MarketModel):
    return model.recorder.loans_frame() if hasattr(model.recorder, "loans_frame") else None


# -- revolving lines -----------------------------------------------------------------------

def line_market(product: str) -> dict:
    return {"population.n_consumers": 4_000,
            "scenarios": [{"name": "daily_spend", "product": product, "need_rate": 6.0,
                           "ticket_median_cents": 40_000, "term_days": [30, 90]}],
            "lenders": [{"name": "a", "products": [{"kind": product,
                                                   "max_amount_cents": 3_000_000}]},
                        {"name": "b", "products": [{"kind": product,
                                                   "max_amount_cents": 3_000_000}]}]}


def repeat_share(model: simfin.MarketModel) -> float:
    return float(model.book.column("repeat").mean())


def test_open_lines_make_the_next_draw_frictionless_and_raise_repeat_borrowing():
    with_lines, without = [], []
    for seed in SEEDS:
        lines = market(line_market("revolving"), 150, seed)
        # precondition: lines were opened and drawn on again
        book = lines.book
        redraws = (book.column("product") == REVOLVING) & book.column("repeat")
        assert (lines.population.line_limit_cents > 0).sum() > 500 and redraws.sum() > 500
        with_lines.append(repeat_share(lines))
        without.append(repeat_share(market(line_market("cash"), 150, seed)))
    gain = np.array(with_lines) - np.array(without)
    spread = np.ptp(without)
    assert (gain > 0).all() and gain.mean() > max(3 * spread, 0.05), (with_lines, without)


# -- fraud rings on the lender's graph -----------------------------------------------------

RING_RULES = [{"name": "identity_mismatch", "when": "id_match == 0", "action": "reject",
               "reason": "ID"},
              {"name": "device_burst", "when": "device_applications_24h > 2",
               "action": "reject", "reason": "DEVICE"}]


def ring_market(graph: bool, adapt: bool = True) -> dict:
    rules = RING_RULES + ([{"name": "ring", "when": "ring_exposure >= 1", "action": "reject",
                            "reason": "RING"}] if graph else [])
    return {"population.n_consumers": 8_000, "population.fraud_share": 0.04,
            "behaviour.fraud.rings.adapt": adapt,
            "lenders": [{"name": "graph", "risk": {"data_sources": ["bureau", "id_registry"],
                                                   "rules": rules,
                                                   "ring_graph": {"enabled": graph}}}]}


def fraud_loans(model: simfin.MarketModel) -> int:
    return int(model.book.column("is_fraud").sum())


def test_a_ring_graph_rule_blocks_fraud_and_rings_adapt_by_slowing_down():
    with_graph, without, still, adapting = [], [], [], []
    for seed in RING_SEEDS:
        model = market(ring_market(True), 150, seed)
        graph = model.lenders[0].ring_graph
        # precondition: rings applied, the graph linked them and the rule fired
        assert model.population.ring_applications > 0 and graph.graph_.number_of_nodes() > 0
        assert (graph.component_bads_ > 0).any()
        with_graph.append(fraud_loans(model))
        without.append(fraud_loans(market(ring_market(False), 150, seed)))
        if seed in SEEDS:
            adapting.append(model.population.ring_applications)
            still.append(market(ring_market(True, adapt=False), 150, seed).population
                         .ring_applications)
    # Over paired seeds (the same fraudsters on both sides) the graph rule blocks about a
    # seventh of the fraud loans (measured: 491 against 585 over seeds 21-28). One seed is
    # noisy (tens of fraud loans, a seed-to-seed spread of about 12), hence eight seeds and
    # a paired test: the mean fall is more than twice its standard error.
    fall = np.array(without) - np.array(with_graph)
    assert fall.mean() > 2 * fall.std(ddof=1) / np.sqrt(len(fall)), (with_graph, without)
    # Adapting rings trade volume for stealth: fewer applications than rings that do not.
    assert all(a < s for a, s in zip(adapting, still, strict=True)), (adapting, still)


# -- data shared by a partner channel --------------------------------------------------------

SCORE_RULE = {"name": "partner_score", "when": "behaviour_score < 0.6", "action": "reject",
              "reason": "PARTNER_SCORE"}


def partner_market(shares: bool, rule: bool) -> dict:
    """One lender whose applicants all come through a partner platform's channel, which
    shares its behaviour score or not; the lender may decline on the score.
    """
    rules = [*RING_RULES, SCORE_RULE] if rule else RING_RULES
    return {"population.n_consumers": 6_000, "run.record_applications": True,
            "channels": [{"name": "partner", "online": True, "reach": 1.0,
                          "cost_per_application_cents": 800, "shares_data": shares}],
            "lenders": [{"name": "a", "risk": {"data_sources": ["bureau", "id_registry"],
                                               "rules": rules}}]}


def bad_rate(result: simfin.RunResult) -> float:
    """Share of loans seasoned 90+ days that went 30+ days past due."""
    loans = result.loans
    seasoned = loans[loans["origination_day"] + 90 <= result.config.run.steps]
    return float(seasoned["ever_30dpd"].mean())


def score_declines(result: simfin.RunResult) -> int:
    """Applications the lender declined on the partner's score."""
    codes = result.model.lenders[0].reason_codes
    if "PARTNER_SCORE" not in codes:
        return 0
    return int((result.applications["reason"] == codes.index("PARTNER_SCORE")).sum())


@pytest.fixture(scope="module")
def partner_runs() -> dict[str, list[simfin.RunResult]]:
    """Per seed: the shared score unused, the score rule with the data, and without it."""
    cases = {"shared": (True, False), "rule": (True, True), "closed_rule": (False, True)}
    return {name: [simfin.run(TWO_LENDERS, steps=240, seed=seed,
                                     overrides=partner_market(shares, rule)) for seed in SEEDS]
            for name, (shares, rule) in cases.items()}


def test_a_partner_channel_shares_a_score_that_ranks_its_applicants_risk(partner_runs):
    from sklearn.metrics import roc_auc_score

    for shared, closed in zip(partner_runs["shared"], partner_runs["closed_rule"],
                              strict=True):
        apps = shared.applications
        booked = apps[apps["taken_up"] & (apps["day"] + 90 <= 240)]
        scored = booked[booked["behaviour_score"].notna()]
        # precondition: most loans carry the partner's score, and some went bad
        assert len(scored) > 0.6 * len(booked) and scored["ever_30dpd"].sum() > 30
        auc = roc_auc_score(scored["ever_30dpd"], -scored["behaviour_score"])
        assert auc > 0.65, auc
        assert closed.applications["behaviour_score"].isna().all()  # no sharing, no score


def test_a_lender_that_declines_on_shared_data_books_fewer_bad_loans(partner_runs):
    for shared, closed in zip(partner_runs["rule"], partner_runs["closed_rule"], strict=True):
        # precondition: the rule fired on shared scores, and loans were made
        assert score_declines(shared) > 200 and len(shared.loans) > 1_000
        # the same rule without the data: the score is missing, the rule never fires
        assert score_declines(closed) == 0
    with_data = np.array([bad_rate(r) for r in partner_runs["rule"]])
    without = np.array([bad_rate(r) for r in partner_runs["closed_rule"]])
    drop = without - with_data  # paired by seed
    assert drop.min() > 0.02 and drop.mean() > np.ptp(without), (with_data, without)
