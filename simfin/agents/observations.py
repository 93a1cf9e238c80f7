"""What lenders see of an applicant in the application itself: what the applicant states,
what the session shows and what a data-sharing channel partner scores.

What the data sources reveal of hidden consumer state is each source's own module
(``simfin.lending.sources``); this module and those are where hidden state becomes
observable data.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents.population import Population
from simfin.lending.batch import ApplicationBatch
from simfin.lending.registry import BUILT_IN_SOURCES, SOURCES


def behaviour_score(population: Population, rows: np.ndarray, rng: np.random.Generator,
                    shares_data: np.ndarray) -> np.ndarray:
    """The partner platform's behaviour score (0..1, high = reliable) of each applicant who
    came through a data-sharing channel; NaN otherwise, and NaN when the partner has no
    history on the identity (most often for stolen and synthetic ones).

    Genuine and first-party applicants are scored on how reliably they paid on the
    partner's platform: their willingness to repay on the log-odds scale, blurred by
    ``behaviour.channels.behaviour_score_noise`` (so the score ranks risk, imperfectly,
    across the whole range instead of piling up near 1); ring identities show a history
    farmed on partner platforms, drawn around ``farmed_score_mean``: no constant
    fingerprint.
    """
    pop, n = population, len(rows)
    signals = pop.behaviour.fraud.signals
    noise = rng.standard_normal(n)
    farmed = pop.is_fraud.take(rows) & (pop.fraud_kind.take(rows) != fraud_kinds.FIRST_PARTY)
    w = np.clip(pop.willingness.take(rows).astype(np.float64), 1e-4, 1 - 1e-4)
    reliability = 1.0 / (1.0 + np.exp(-(np.log(w / (1 - w))
                                        + pop.behaviour.channels.behaviour_score_noise * noise)))
    score = np.where(farmed, signals.farmed_score_mean + signals.farmed_score_sd * noise,
                     reliability)
    seen = shares_data & pop.partner_history.take(rows)
    return np.where(seen, np.clip(score, 0, 1), np.nan).astype(np.float32)


def application_batch(population: Population, apps: dict[str, np.ndarray], lender: int,
                      day: int, rng: np.random.Generator, channel_shares_data: np.ndarray,
                      line_used_cents: np.ndarray, fields: Iterable[str] | None = None,
                      income_known: np.ndarray | None = None) -> ApplicationBatch:
    """The batch a lender receives: what applicants state, what the session shows, and
    NaN for every field a data source has to provide: ``fields``, the market's application
    fields (``market_fields``; None: those of the built-in sources). ``income_known``
    marks the applicants whose income the lender reads from their accounts with it (its
    own customers, :mod:`simfin.agents.owned_channels`): theirs is stated as it is.
    """
    pop = population
    rows = apps["consumer"].astype(np.intp)  # intp: no index conversion in each lookup
    n = len(rows)
    columns: dict[str, np.ndarray] = {k: v for k, v in apps.items()}
    columns["age_years"] = pop.age_years.take(rows).astype(np.float32)
    income = pop.income_cents(rows, day)
    columns["stated_income_cents"] = (income * pop.income_overstatement.take(rows)
                                      ).astype(np.int64)
    if income_known is not None:
        columns["stated_income_cents"][income_known] = income[income_known]
    columns["online"] = apps["online"].astype(np.float32)
    columns["digital_affinity"] = pop.digital_affinity.take(rows)
    devices = pop.device_id.take(rows)
    columns["device_id"], columns["contact_id"] = devices, pop.contact_id.take(rows)
    _, inverse, counts = np.unique(devices, return_inverse=True, return_counts=True)
    columns["device_applications_24h"] = counts[inverse].astype(np.float32)
    signals = pop.behaviour.fraud.signals
    columns["new_device"] = ((rng.random(n) < pop.new_device_rate.take(rows))
                             | (day - pop.device_since_day.take(rows) < signals.new_device_days)
                             ).astype(np.float32)
    columns["behaviour_score"] = behaviour_score(pop, rows, rng, channel_shares_data[
        apps["channel"]])
    columns["own_active_loans"] = pop.at_lender(pop.loans_at, rows, lender).astype(np.float32)
    columns["own_past_defaults"] = pop.at_lender(pop.defaults_at, rows, lender
                                                 ).astype(np.float32)
    columns["line_limit_cents"] = pop.at_lender(pop.line_limit_cents, rows, lender
                                                ).astype(np.int64)
    columns["line_used_cents"] = line_used_cents
    columns["truth_is_fraud"] = pop.is_fraud.take(rows)
    for name in SOURCES.catalogue(BUILT_IN_SOURCES) if fields is None else fields:
        if name not in columns:
            columns[name] = np.full(n, np.nan, dtype=np.float32)
    return ApplicationBatch(columns)
