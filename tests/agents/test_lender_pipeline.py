"""The lender assembles its pipeline from config: rule order, flag bits, stage order."""

import numpy as np

import simfin
from simfin.lending.batch import APPROVED
from simfin.lending.infrastructure import CapacityStage
from simfin.lending.rules import RuleEngine
from tests.conftest import TWO_LENDERS


def small_model(rules, **extra) -> simfin.MarketModel:
    overrides = {"population.n_consumers": 3000, "lenders.0.risk.rules": rules,
                 "lenders.0.risk.data_sources": ["bureau", "id_registry"], **extra}
    return simfin.MarketModel(simfin.load_config(TWO_LENDERS, overrides))


def test_flag_bits_follow_the_strategy_table_across_data_and_stated_rules():
    rules = [
        {"name": "thin", "when": "bureau_hit == 0", "action": "flag", "reason": "THIN"},
        {"name": "young", "when": "age_years < 30", "action": "flag", "reason": "YOUNG"},
    ]
    model = small_model(rules)
    lender = model.lenders[0]
    engines = [s for s in lender.pipeline.stages if isinstance(s, RuleEngine)]
    # the stated-field rule runs before the data queries, the bureau rule after them
    assert [r.reason for r in engines[0].rules] == ["YOUNG"]
    assert [r.reason for r in engines[1].rules] == ["THIN"]
    assert lender.flag_reasons == ["THIN", "YOUNG"]
    for _ in range(20):
        model.step()
    loans = model.book.frame()
    mine = loans[loans["lender"] == 0]
    consumers = mine["consumer"].to_numpy()
    young = model.population.age_years[consumers] < 30
    thin = ~model.sources["bureau"].covered[consumers]
    flags = mine["flags"].to_numpy()
    assert np.array_equal((flags >> 1) & 1 == 1, young)
    assert np.array_equal(flags & 1 == 1, thin)


def test_platform_capacity_runs_first_and_approved_rows_survive_every_stage():
    model = small_model([{"name": "u", "when": "age_years < 18", "action": "reject",
                          "reason": "AGE"}])
    lender = model.lenders[0]
    assert isinstance(lender.platform, CapacityStage)
    for _ in range(10):
        model.step()
    steps = model.recorder.steps_frame()
    row = steps[steps["lender"] == "rules_only"]
    assert row["approvals"].sum() > 0
    assert (row["approvals"] + row["declined"] + row["referred"] + row["lost"]
            == row["applications"]).all()


def test_champion_and_challenger_flag_bits_keep_their_own_reasons():
    # Before the fix the challenger's table overwrote the lender's flag reasons, so the
    # champion's YOUNG-flagged loans were reported under the challenger's THIN.
    young = {"name": "young", "when": "age_years < 30", "action": "flag", "reason": "YOUNG"}
    thin = {"name": "thin", "when": "bureau_hit == 0", "action": "flag", "reason": "THIN"}
    model = small_model([young], **{"lenders.0.challenger": {
        "share": 0.5, "risk": {"rules": [thin], "model": {"kind": "none"},
                               "data_sources": ["bureau", "id_registry"]}}})
    lender = model.lenders[0]
    assert lender.flag_reasons == ["YOUNG", "THIN"]
    for _ in range(20):
        model.step()
    loans = model.book.frame()
    mine = loans[loans["lender"] == 0]
    champion, challenger = mine[~mine["challenger"]], mine[mine["challenger"]]
    assert len(champion) > 20 and len(challenger) > 20
    for part, bit, truth in (
            (champion, 0, model.population.age_years[champion["consumer"].to_numpy()] < 30),
            (challenger, 1, ~model.sources["bureau"].covered[challenger["consumer"].to_numpy()])):
        flags = part["flags"].to_numpy()
        assert truth.any()
        assert np.array_equal((flags >> bit) & 1 == 1, truth)
        assert not ((flags >> (1 - bit)) & 1).any()  # never the other strategy's bit


def test_a_lender_makes_offers_then_originates_only_the_accepted_ones():
    model = simfin.MarketModel(simfin.load_config(TWO_LENDERS, {"population.n_consumers": 5000}))
    for _ in range(3):
        model.step()
    lender = model.lenders[0]
    needs = model.arise_needs()
    batch = model.batch_for(lender, model.bring_requests(needs))
    quote = lender.make_offers(batch, model.day)
    assert len(quote.offers) >= 4  # precondition: offers to accept and to leave
    assert (quote.batch["decision"][quote.offers] == APPROVED).all()
    loans_before = len(model.book)
    disbursed_before = int(model.ledger.flow("disbursed")[lender.index])
    accepted = quote.offers[::2]
    booked = lender.originate(quote, accepted)
    assert booked.n == len(accepted) == len(model.book) - loans_before
    assert np.array_equal(booked["consumer"], quote.batch["consumer"][accepted])
    loans = model.book.frame().iloc[loans_before:]
    assert (loans["lender"] == lender.index).all()
    assert (int(model.ledger.flow("disbursed")[lender.index]) - disbursed_before
            == int(booked["amount_cents"].sum()))
    assert lender.originate(quote, accepted[:0]).n == 0  # nobody accepts: nothing booked
    assert len(model.book) == loans_before + len(accepted)


def test_the_ring_graph_is_a_registered_step_shared_by_champion_and_challenger():
    rules = [{"name": "ring", "when": "ring_exposure >= 1", "action": "reject",
              "reason": "RING"}]
    graph = {"enabled": True}
    model = small_model(rules, **{"population.fraud_share": 0.1,
                                  "lenders.0.risk.ring_graph": graph,
                                  "lenders.0.challenger": {
                                      "share": 0.5, "risk": {"rules": rules,
                                                             "ring_graph": graph,
                                                             "model": {"kind": "none"}}}})
    lender = model.lenders[0]
    # After the data queries, before the rules that read ring_exposure.
    names = lender.pipeline.names
    assert names.index("data") < names.index("ring_graph") < names.index("rules_on_data")
    # One graph per lender: both pipelines link their applicants into it.
    assert lender.ring_graph is lender.pipeline["ring_graph"]
    assert lender.challenger["ring_graph"] is lender.ring_graph
    for _ in range(20):
        model.step()
    assert lender.ring_graph.graph_.number_of_nodes() > 0  # rings' shared devices linked
    assert "ring_graph" not in model.lenders[1].pipeline  # disabled: no step
