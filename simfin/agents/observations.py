"""What lenders can learn about consumers: the fields of an application, and the external
data sources (bureau, ID registry, social security, consortium) built on the population.

This is the one place where hidden consumer state becomes observable data; changing what a
source reveals is changing this module.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import simfin.agents.fraud as fraud_kinds
from simfin.agents.population import Population
from simfin.config import MarketConfig
from simfin.lending.batch import ApplicationBatch, nan_where
from simfin.lending.data_sources import DataSource
from simfin.lending.fields import APPLICATION_FIELDS


def build_sources(config: MarketConfig, population: Population, day_of=lambda: 0,
                  rng: np.random.Generator | None = None,
                  delinquent: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
                  ) -> dict[str, DataSource]:
    """The data sources of the market, by name. ``consortium`` only exists when the
    regulator's policy turns it on (now or on a scheduled day: it is then inactive until).

    Args:
        config: The market config.
        population: The consumers.
        day_of: Returns the current day (records such as employment change over time).
        rng: Draws which consumers each source covers (fixed for the run).
        delinquent: Returns the borrower and the lender of each loan past due today (the
            consortium's members share them); None: none. Called once a day, at the
            day's first consortium query (loans turn past due or current only in the
            servicing that ends a day, after its lending).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    pop, data = population, config.data
    n_lenders = len(config.lenders)
    reporting = np.array([lender.reports_to_bureau for lender in config.lenders])
    members = np.array([lender.consortium_member for lender in config.lenders])

    def loans_at(rows: np.ndarray, lenders: np.ndarray, start: np.ndarray | int = 0,
                 counts: np.ndarray | None = None) -> np.ndarray:
        total = np.asarray(start, dtype=np.int16) + np.zeros(len(rows), dtype=np.int16)
        if lenders.any():
            # Flat indexes into the (consumer, lender) counters: take() on a column view
            # would copy the whole column first, and take() of whole rows is slow.
            counts = pop.loans_at if counts is None else counts
            flat, first = counts.reshape(-1), np.asarray(rows) * n_lenders
            for j in np.flatnonzero(lenders):
                total += flat.take(first + j)
        return total

    def multi_lending(rows: np.ndarray) -> np.ndarray:
        return loans_at(rows, reporting, pop.external_loans.take(rows))

    # (day, ids, by_lender) of the last count: one tuple, replaced whole, so that a query
    # on another thread (row-wise stages run on slices) reads one consistent count
    counted: list[tuple] = [(None, None, None)]

    def past_due_today() -> tuple[np.ndarray, np.ndarray]:
        # The borrowers with a loan past due today (sorted) and their past-due loans per
        # lender: counted once a day for every member's queries.
        day, ids, by_lender = counted[0]
        if day != day_of():
            borrowers, lenders = (delinquent() if delinquent is not None
                                  else (np.zeros(0, np.int32), np.zeros(0, np.int16)))
            ids, inverse = np.unique(borrowers, return_inverse=True)
            by_lender = np.bincount(inverse * n_lenders + lenders,
                                    minlength=len(ids) * n_lenders).reshape(-1, n_lenders)
            counted[0] = (day_of(), ids, by_lender)
        return ids, by_lender

    def consortium_fields(lender: int | None) -> dict:
        # What the other members know: the asker's own loans and defaults are its own
        # fields (own_active_loans, own_past_defaults), not news from the consortium.
        def others() -> np.ndarray:
            out = members.copy()
            if lender is not None:
                out[lender] = False
            return out

        def past_due(rows: np.ndarray) -> np.ndarray:
            ids, by_lender = past_due_today()
            if len(ids) == 0:
                return np.zeros(len(rows), dtype=np.int16)
            counts = by_lender[:, others()].sum(axis=1)
            at = np.minimum(np.searchsorted(ids, rows), len(ids) - 1)
            return np.where(ids.take(at) == rows, counts.take(at), 0)

        return {"consortium_loans": lambda rows: loans_at(rows, others()),
                "consortium_defaults": lambda rows: loans_at(rows, others(),
                                                             counts=pop.defaults_at),
                "consortium_past_due": past_due}

    def employed(rows: np.ndarray) -> np.ndarray:
        return (pop.shock_until_day.take(rows) <= day_of()).astype(np.float32)

    sources = {
        "bureau": DataSource(
            "bureau", pop.has_bureau_file & (rng.random(pop.n) < data.bureau.coverage),
            {"bureau_hit": lambda rows: np.ones(len(rows)),
             "bureau_history_months": lambda rows: pop.bureau_history_months.take(rows),
             "bureau_delinquencies": lambda rows: pop.bureau_delinquencies.take(rows),
             "bureau_multi_lending": multi_lending,
             "bureau_inquiries": lambda rows: pop.inquiries.take(rows),
             "contact_mismatch": lambda rows: pop.contact_mismatch.take(rows)},
            data.bureau.cost_cents, data.bureau.latency_minutes,
            miss_values={"bureau_hit": 0.0}),
        "id_registry": DataSource(
            "id_registry", rng.random(pop.n) < data.id_registry.coverage,
            {"id_match": lambda rows: (~pop.id_mismatch.take(rows)).astype(np.float32)},
            data.id_registry.cost_cents, data.id_registry.latency_minutes),
        "social_security": DataSource(
            "social_security", (rng.random(pop.n) < data.social_security.coverage)
            & ~pop.synthetic_id,
            {"verified_income_cents": lambda rows: pop.income_cents(rows, day_of()),
             "employed": employed},
            data.social_security.cost_cents, data.social_security.latency_minutes),
    }
    # A unified service platform's customer profile (only unified lenders query it).
    sources["service_profile"] = DataSource(
        "service_profile", np.ones(pop.n, dtype=bool),
        {"service_profile_score": lambda rows: nan_where(pop.interactions.take(rows) <= 0,
                                                         pop.satisfaction.take(rows))},
        0, 0.0)
    scheduled = any(change.consortium for change in config.policy.schedule)
    if (config.policy.consortium or scheduled) and n_lenders > 1:
        sources["consortium"] = DataSource(
            "consortium", np.ones(pop.n, dtype=bool), consortium_fields(None),
            data.consortium.cost_cents, data.consortium.latency_minutes,
            active=config.policy.consortium, per_lender=consortium_fields, members=members)
    return sources


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
                      line_used_cents: np.ndarray) -> ApplicationBatch:
    """The batch a lender receives: what applicants state, what the session shows, and
    NaN for every field a data source has to provide.
    """
    pop = population
    rows = apps["consumer"].astype(np.intp)  # intp: no index conversion in each lookup
    n = len(rows)
    columns: dict[str, np.ndarray] = {k: v for k, v in apps.items()}
    columns["age_years"] = pop.age_years.take(rows).astype(np.float32)
    columns["stated_income_cents"] = (pop.income_cents(rows, day)
                                      * pop.income_overstatement.take(rows)).astype(np.int64)
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
    for name in APPLICATION_FIELDS:
        if name not in columns:
            columns[name] = np.full(n, np.nan, dtype=np.float32)
    return ApplicationBatch(columns)
