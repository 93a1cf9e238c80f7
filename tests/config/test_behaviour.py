"""The ``behaviour:`` section: every coefficient reaches the market it describes."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel

import simfin
from simfin.config import BehaviourConfig, ConfigError, load_config
from simfin.indicators.recording import STEP_COLUMNS
from simfin.lending.product import REVOLVING
from simfin.model import MarketModel
from tests.conftest import TWO_LENDERS

TINY = {"population.n_consumers": 2_000, "run.steps": 75, "run.seed": 3,
        "run.default_dpd": 15, "run.writeoff_dpd": 30, "population.fraud_share": 0.05,
        # the second lender: manual payments, siloed service on three channels
        "lenders.1.payment.auto_debit": False, "lenders.1.service.mode": "siloed",
        "lenders.1.service.channels": ["in_app", "wechat", "voice"],
        "lenders.0.service.mode": "unified", "channels.1.shares_data": True}


def _leaves(model: type[BaseModel], prefix: str = "behaviour") -> list[tuple[str, object]]:
    out = []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            out.extend(_leaves(type(default), f"{prefix}.{name}"))
        else:
            out.append((f"{prefix}.{name}", default))
    return out


def _perturbed(value):
    if isinstance(value, list):
        return [_perturbed(v) if isinstance(v, int) else v * 0.5 for v in value]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return max(value // 3, 1)
    return value * 0.5 if value else 0.3


class Trace(NamedTuple):
    """A run of a tiny market: each day's recorded row, and a digest of the whole run."""

    days: list[bytes]
    fingerprint: str | None
    """Digest of every recorded day, every application and the final device ids; None when
    the run stopped at its first day that differed from the run it was compared with."""


def _run(overrides: dict, against: Trace | None = None, market: dict = TINY
         ) -> tuple[Trace, MarketModel]:
    """Run ``market`` (overrides on TWO_LENDERS) with ``overrides``. Compared ``against``
    another trace, the run stops on its first recorded day that differs (the whole run's
    rows then differ too); otherwise it runs to the end and fingerprints every day, every
    application (its signals, scores and decision) and the final device ids.
    """
    model = MarketModel(load_config(TWO_LENDERS, {**market, **overrides}))
    days = []
    for day in range(model.config.run.steps):
        model.step()
        days.append(b"".join(np.ascontiguousarray(model.recorder.today(column)).tobytes()
                             for column in STEP_COLUMNS))
        if against is not None and days[-1] != against.days[day]:
            return Trace(days, None), model
    # Hashed by value: ``to_numpy()`` of a frame with the categorical lender column is an
    # object array, whose bytes are pointers that differ from run to run (this test once
    # hashed those, and so could not fail).
    pop = model.population
    digest = hashlib.sha256()
    for frame in (model.recorder.steps_frame(),
                  model.application_log.frame(model.book, pop.cohort, pop.region)):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(pop.device_id.tobytes())
    return Trace(days, digest.hexdigest()), model


def _trace(overrides: dict, against: Trace | None = None, market: dict = TINY) -> Trace:
    """The :class:`Trace` of :func:`_run`."""
    return _run(overrides, against, market)[0]


@pytest.fixture(scope="module")
def default_trace() -> Trace:
    return _trace({})


# The tiny market cannot show some coefficients (measured: each changed nothing in it): its
# two lenders offer the same limits and speed, few borrowers return to a lender with their
# satisfaction away from neutral (nothing for the choice weights to weigh), nobody sells a
# revolving line, no need is declined often enough to meet the re-application cap (with two
# lenders a need has tried them all by its first re-application), few synthetic identities
# apply, and no lender links applicants by their devices and contacts. RICH is the tiny market with
# those preconditions in place (asserted in test_the_rich_market_has_the_preconditions).
_MARKET = yaml.safe_load(TWO_LENDERS.read_text(encoding="utf-8"))
_RULES = _MARKET["lenders"][0]["risk"]["rules"]
RICH = {# first, as it replaces the lenders' list that TINY's paths then refine
        "lenders": [
            # small loans only: larger asks are offered less than asked (limit_weight)
            {"name": "rules_only", "risk": {"rules": _RULES},
             "products": [{"kind": "instalment", "max_amount_cents": 150_000},
                          {"kind": "cash", "max_amount_cents": 150_000}]},
            # slow decisions (speed_weight), revolving lines, a graph of linked applicants
            {"name": "scored", "risk": {"rules": _RULES, "model": {"kind": "logistic"},
                                        "ring_graph": {"enabled": True}},
             "infrastructure": {"base_latency_minutes": 600.0},
             "products": [{"kind": "instalment"}, {"kind": "cash"}, {"kind": "revolving"}]},
            # a third lender: a need can be declined more often than the re-application cap
            {"name": "third", "risk": {"rules": _RULES}}],
        "scenarios": [*_MARKET["scenarios"],
                      {"name": "credit_line", "product": "revolving", "need_rate": 2.0,
                       "ticket_median_cents": 200_000, "term_days": [30], "online_share": 0.9}],
        **TINY,
        # many synthetic identities and rings, which adapt at their first decline
        "population.fraud_share": 0.2, "behaviour.fraud.synthetic_share": 0.6,
        "behaviour.fraud.rings.adapt_after_declines": 1,
        "behaviour.fraud.rings.rotate_contact_rate": 1.0,
        # enough genuine households share a contact that halving them shows in the graph
        "behaviour.fraud.rings.household_contact_share": 0.3,
        # satisfaction away from neutral: a returning borrower's service counts
        "behaviour.repayment.neutral_satisfaction": 0.3}
RICH_ONLY = {
    "behaviour.demand.product_weight.revolving", "behaviour.demand.max_reapplications",
    "behaviour.choice.limit_weight", "behaviour.choice.speed_weight",
    "behaviour.choice.service_weight", "behaviour.fraud.need_multiplier.revolving",
    "behaviour.fraud.signals.synthetic_new_device_rate",
    "behaviour.fraud.signals.new_device_days",
    "behaviour.fraud.signals.synthetic_id_mismatch_rate",
    "behaviour.fraud.rings.contacts_per_ring", "behaviour.fraud.rings.household_contact_share",
    "behaviour.fraud.rings.recovery_days", "behaviour.fraud.rings.rotate_contact_rate",
}
COEFFICIENTS = [(path, default) for path, default in _leaves(BehaviourConfig)
                if path not in RICH_ONLY]


@pytest.fixture(scope="module")
def rich_run() -> tuple[Trace, MarketModel]:
    return _run({}, market=RICH)


def _value(config: BaseModel, path: str):
    for name in path.split("."):
        config = getattr(config, name)
    return config


@pytest.mark.parametrize(("path", "default"), COEFFICIENTS)
def test_every_behaviour_coefficient_changes_the_market(path, default, default_trace):
    perturbed = _trace({path: _perturbed(default)}, against=default_trace)
    assert perturbed.fingerprint != default_trace.fingerprint, path


def test_the_rich_market_has_the_preconditions(rich_run):
    _, model = rich_run
    pop, config = model.population, model.config
    log = model.application_log.frame(model.book, pop.cohort, pop.region)
    booked = log[log["taken_up"]]
    # revolving lines were sold; some loans were offered less than asked (limit_weight)
    assert (booked["product"] == REVOLVING).sum() > 10
    assert (config.lenders[0].products[0].max_amount_cents
            < config.scenarios[0].ticket_median_cents)
    # the scored lender (1) decides in hours, the others in minutes (speed_weight)
    minutes = log.groupby("lender")["decision_minutes"].median()
    assert minutes[1] > 60 > max(minutes[0], minutes[2])
    # borrowers came back to a lender they had borrowed from (service_weight), with their
    # satisfaction away from neutral
    assert booked.duplicated(["consumer", "lender"]).sum() > 10
    assert np.abs(pop.satisfaction - config.behaviour.repayment.neutral_satisfaction
                  ).min() > 0.05
    # a need can be declined by more lenders than the re-application cap allows
    assert len(config.lenders) > _perturbed(config.behaviour.demand.max_reapplications) + 1
    # synthetic identities applied; rings formed, and adapted (new devices in the run)
    assert log["consumer"].isin(np.flatnonzero(pop.synthetic_id)).sum() > 20
    assert pop.n_rings > 5 and (pop.device_since_day >= 0).sum() > 10
    # the scored lender linked applicants (the graph reads the devices and contacts)
    assert (log.loc[log["lender"] == 1, "linked_accounts"] > 0).sum() > 20


@pytest.mark.parametrize("path", sorted(RICH_ONLY))
def test_coefficients_with_a_precondition_change_the_rich_market(path, rich_run):
    trace, model = rich_run
    perturbed = _trace({path: _perturbed(_value(model.config, path))}, against=trace,
                       market=RICH)
    assert perturbed.fingerprint != trace.fingerprint, path


def test_the_trace_stops_at_the_first_changed_day(default_trace):
    # a change that shows from the first days stops the run there; an unchanged market runs
    # to the end and fingerprints the same
    early = _trace({"behaviour.application.patience_minutes": [1.0, 1.0, 1.0, 1.0]},
                   against=default_trace)
    assert early.fingerprint is None and len(early.days) < 10
    same = _trace({}, against=default_trace)
    assert same == default_trace and len(same.days) == TINY["run.steps"]


def test_the_defaults_are_the_calibrated_market():
    # configs/calibration.md derives these; a change to them is a recalibration
    b = BehaviourConfig()
    assert (b.repayment.willingness_weight, b.repayment.capacity_weight,
            b.repayment.intercept) == (2.5, 1.2, -0.5)
    assert b.application.patience_minutes == [60.0, 40.0, 25.0, 15.0]
    assert (b.repayment.base_cure_rate, b.repayment.cure_half_life_days) == (0.2, 15.0)


def test_bad_behaviour_values_are_config_errors():
    with pytest.raises(ConfigError, match="behaviour.repayment.base_cure_rate"):
        simfin.load_config(TWO_LENDERS, {"behaviour.repayment.base_cure_rate": 1.5})
    with pytest.raises(ConfigError, match="patience"):
        simfin.load_config(TWO_LENDERS, {"behaviour.application.patience_minutes": [1, 2, 0, 4]})


def test_bad_ranges_and_cohort_factors_are_config_errors():
    with pytest.raises(ConfigError, match="behaviour.fraud.disguise.synthetic_age_years"):
        simfin.load_config(None, {"behaviour.fraud.disguise.synthetic_age_years": [45, 17]})
    with pytest.raises(ConfigError, match="stolen_income_overstatement"):
        simfin.load_config(None, {"behaviour.fraud.disguise.stolen_income_overstatement":
                                  [1.2, 1000.0]})
    with pytest.raises(ConfigError, match="population.income_by_cohort"):
        simfin.load_config(None, {"population.income_by_cohort": [1.0, 1.0, 1.0, 50.0]})
    with pytest.raises(ConfigError, match="behaviour.service.contact_period_days"):
        simfin.load_config(None, {"behaviour.service.contact_period_days": 0.0})


@pytest.mark.parametrize(("path", "value", "message"), [
    ("population.thin_file_by_cohort", [1.0, 1.0, 1.0, 10.5],
     "factors must be in [0, 10], got 10.5"),
    ("population.income_by_cohort", [0.005, 1.0, 1.0, 1.0],
     "factors must be in [0.01, 3], got 0.005"),
    ("behaviour.demand.cohort_multiplier", [1.0, -0.1, 1.0, 1.0],
     "multipliers must be in [0, 100], got -0.1"),
    ("behaviour.choice.price_by_region", [1.0, 1.0, 101.0], "factors must be in [0, 100]"),
    ("behaviour.fraud.disguise.first_party_income_overstatement", [0.001, 1.0],
     "must be [lowest, highest] factors with 0.01 <= lowest <= highest <= 100"),
])
def test_list_factors_outside_their_bounds_name_the_field_and_the_bounds(path, value, message):
    with pytest.raises(ConfigError) as err:
        simfin.load_config(None, {path: value})
    assert str(err.value).startswith(f"{path}: "), err.value
    assert message in str(err.value) and "\n" not in str(err.value), err.value
