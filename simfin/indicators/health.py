"""Run-health warnings: is this run fit for the question asked of it?

Each warning is a sentence that says what is wrong and which setting to change. They are
computed from the resolved config, the summary and the loan table (never from the model),
and are written into ``summary.json`` (``warnings``), ``report.md`` and the terminal.
"""

from __future__ import annotations

import pandas as pd

from simfin.config import MarketConfig
from simfin.lending.loan_book import ACTIVE, INSTALMENT_PERIOD_DAYS, MIN_INSTALMENT_TERM_DAYS

# Below this share of loans old enough to be written off, losses have not emerged.
EMERGED_SHARE = 0.5
# A platform whose busiest day used less than this share of its capacity never came near
# binding: its capacity settings do not change the run.
CAPACITY_BINDS_SHARE = 0.5
# A run-off that leaves more than this share of the principal lent still outstanding has
# not counted the run's loans to their end.
RUNOFF_OPEN_SHARE = 0.01
# A month's population stability is judged only on at least this many scored applications
# (below that, sampling noise alone moves a characteristic's PSI by 0.05 to 0.1).
DRIFT_MIN_APPLICATIONS = 300


def _warning(code: str, message: str, lender: str | None = None) -> dict[str, str | None]:
    return {"code": code, "lender": lender, "message": message}


def _caps_in_force(config: MarketConfig, summary: dict) -> str:
    """The APR cap as the run enforced it: day 0's, then each scheduled change of it."""
    def pct(cap: float | None) -> str:
        return "none" if cap is None else f"{cap:.0%}"

    spans = (summary.get("policy") or {}).get("in_force") or []
    caps = [(span["from_day"], span["apr_cap"]) for span in spans]
    caps = [c for k, c in enumerate(caps) if k == 0 or c[1] != caps[k - 1][1]]
    if len(caps) <= 1:
        return f"policy.apr_cap = {pct(caps[0][1] if caps else config.policy.apr_cap)}"
    later = ", ".join(f"{pct(cap)} from day {day}" for day, cap in caps[1:])
    return f"policy.apr_cap = {pct(caps[0][1])}, then by policy.schedule {later}"


def _decline_advice(reason: str, config: MarketConfig, i: int, summary: dict) -> str:
    """What to change when most of a lender's declines carry ``reason``."""
    lender = config.lenders[i]
    advice = {
        "APR_CAP": f"its all-in price is above the APR cap ({_caps_in_force(config, summary)}"
                   f"; without a live model a loan "
                   f"is priced at lenders.{i}.pricing.flat_apr = "
                   f"{lender.pricing.flat_apr:.0%}): raise the cap or lower the price",
        "SCORE": f"its model declines everyone: raise lenders.{i}.risk.approval_threshold "
                 f"(now {lender.risk.approval_threshold:g})",
        "CAPACITY": f"its platform drops applications: raise "
                    f"lenders.{i}.infrastructure.capacity_per_day or use kind 'cloud'",
        "AMOUNT": f"needs fall outside its product limits: widen lenders.{i}.products",
        "VERIFY_FAIL": f"biometric checks fail: review lenders.{i}.risk.verification",
    }
    return advice.get(reason, f"the rules with reason code {reason} in "
                              f"lenders.{i}.risk.rules decline them: loosen their 'when'")


def zero_loans(config: MarketConfig, summary: dict) -> list[dict]:
    """A lender that booked no loan, with its top decline reason and what to change."""
    out = []
    for i, (name, ind) in enumerate(summary["lenders"].items()):
        if ind["loans"] > 0:
            continue
        reasons = ind.get("declines_by_reason") or {}
        entry = config.lenders[i].entry_day
        if not ind["applications"] and entry >= config.run.steps:
            out.append(_warning("zero_loans", f"{name} made no loans: it enters on day "
                                f"{entry} (lenders.{i}.entry_day) and the run lends for "
                                f"{config.run.steps} days; lower its entry_day or raise "
                                "run.steps.", name))
            continue
        if not ind["applications"]:
            out.append(_warning("zero_loans", f"{name} made no loans: it received no "
                                "applications; raise its brand_weight or the channels' "
                                "reach, or population.n_consumers.", name))
            continue
        if not reasons:
            out.append(_warning("zero_loans", f"{name} made no loans: its "
                                f"{ind['approvals']:,} approved applicants did not take "
                                "the offer up; lower its price.", name))
            continue
        top, count = max(reasons.items(), key=lambda kv: kv[1])
        declined = sum(reasons.values())
        out.append(_warning(
            "zero_loans", f"{name} made no loans: {count:,} of its {declined:,} declines "
            f"({count / declined:.0%}) are {top}, because "
            f"{_decline_advice(top, config, i, summary)}.", name))
    return out


def model_not_live(config: MarketConfig, summary: dict) -> list[dict]:
    """A lender configured with a statistical model that never decided."""
    out = []
    for i, (name, ind) in enumerate(summary["lenders"].items()):
        model = config.lenders[i].risk.model
        if model.kind == "none" or ind.get("model_since_day") is not None:
            continue
        fits = (ind.get("validation") or {}).get("history") or []
        aucs = [h["candidate_auc"] for h in fits if h["candidate_auc"] is not None]
        if fits:  # fits were tried, none validated
            best = f"best held-out AUC {max(aucs):.3f}" if aucs else "one outcome class held out"
            out.append(_warning(
                "model_not_live", f"{name}'s {model.kind} model never went live: none of its "
                f"{len(fits)} fits validated ({best}; lenders.{i}.risk.model."
                f"min_validation_auc = {model.min_validation_auc}), so {name} decided on "
                "rules alone; give the model more data (run longer, a larger market) or "
                "lower min_validation_auc.", name))
            continue
        out.append(_warning(
            "model_not_live", f"{name}'s {model.kind} model never went live: it needs "
            f"{model.min_outcomes:,} observed outcomes (loans {model.performance_window_days}"
            f" days old) with {model.min_bad_outcomes:,} bad ones, and the run ended first, "
            f"so {name} decided on rules alone; run longer (run.steps = {config.run.steps}) "
            f"or lower lenders.{i}.risk.model.min_outcomes, min_bad_outcomes or "
            "performance_window_days.", name))
    return out


def _first_due_days(config: MarketConfig) -> int:
    """Earliest first instalment any product can have (bullet loans are due at term)."""
    return min(p.min_term_days if p.min_term_days < MIN_INSTALMENT_TERM_DAYS
               else INSTALMENT_PERIOD_DAYS for lender in config.lenders for p in lender.products)


def losses_not_emerged(config: MarketConfig, loans: pd.DataFrame) -> list[dict]:
    """A horizon too short for most loans to reach the write-off threshold."""
    run = config.run
    earliest = _first_due_days(config) + run.writeoff_dpd
    if len(loans):
        old_enough = (loans["origination_day"] + loans["period_days"] + run.writeoff_dpd
                      <= run.total_days - 1)
        share = float(old_enough.mean())
    else:
        share = 0.0 if earliest > run.total_days - 1 else 1.0
    if share >= EMERGED_SHARE:
        return []
    return [_warning(
        "losses_not_emerged", f"Losses have not emerged: only {share:.0%} of loans had their "
        f"first due date run.writeoff_dpd ({run.writeoff_dpd}) days before the end of this "
        f"{run.total_days}-day run (the earliest possible write-off is day {earliest}), "
        "so loss rate, fraud loss and profit understate losses (profit counts a loan as "
        "earned until it is written off); read profit_after_provisions, which counts each "
        "loan's expected loss (IFRS 9) from the day it is booked, or run longer "
        "(run.steps), add a run-off (run.runoff_days) or compare lifetime_default_rate and "
        "the vintage curves instead.")]


def runoff_unfinished(config: MarketConfig, loans: pd.DataFrame) -> list[dict]:
    """A run-off that ended with much of the run's lending still on book."""
    run = config.run
    if not run.runoff_days or not len(loans):
        return []
    open_cents = loans.loc[loans["status"] == ACTIVE, "outstanding_cents"].sum()
    share = float(open_cents / max(loans["principal_cents"].sum(), 1))
    if share <= RUNOFF_OPEN_SHARE:
        return []
    return [_warning(
        "runoff_unfinished", f"The run-off ended with {share:.1%} of the principal lent "
        f"still outstanding on open loans, so profit and losses do not yet count those "
        f"loans to their end: lengthen run.runoff_days (now {run.runoff_days}) to the "
        f"longest term plus run.writeoff_dpd ({run.writeoff_dpd}).")]


def capacity_slack(config: MarketConfig, summary: dict) -> list[dict]:
    """Platforms whose capacity never came near binding at this population size."""
    slack = []
    for i, (name, ind) in enumerate(summary["lenders"].items()):
        peak = ind.get("capacity_used_peak")
        if peak is not None and peak < CAPACITY_BINDS_SHARE:
            cap = config.lenders[i].infrastructure.capacity_per_day
            slack.append(f"{name} used {peak:.1%} of {cap:,}/day")
    if not slack:
        return []
    return [_warning(
        "capacity_slack", "Platform capacity cannot bind at "
        f"{config.population.n_consumers:,} consumers (busiest day: {'; '.join(slack)}), "
        "so the infrastructure settings do not change this run; to study them lower "
        "lenders.N.infrastructure.capacity_per_day or raise population.n_consumers.")]


def model_drift(config: MarketConfig, summary: dict) -> list[dict]:
    """A lender whose model scored, in some month of at least ``DRIFT_MIN_APPLICATIONS``
    counted applications, a population whose score or characteristic PSI exceeds the
    monitoring's ``drift_psi`` (0.25): the applicants no longer look like the population
    the model was built on.
    """
    out = []
    for i, (name, ind) in enumerate(summary["lenders"].items()):
        mon = ind.get("monitoring") or {}
        level = mon.get("drift_psi")
        for month in mon.get("months") or []:
            if month["applications"] < DRIFT_MIN_APPLICATIONS:
                continue
            score, top = month["score_psi"] or 0.0, month["max_characteristic_psi"] or 0.0
            if max(score, top) <= level:
                continue
            out.append(_warning(
                "model_drift", f"{name}'s model is scoring a population it was not built on: "
                f"from day {month['first_day']} the population stability index of its score "
                f"is {score:.2f} and of {month['max_characteristic']} {top:.2f} (above "
                f"{level:g}) against the applicants of the 90 days before it was deployed; "
                f"check what changed (channels, scenarios, the economy) and retrain or "
                f"recalibrate (lenders.{i}.risk.model).", name))
            break
    return out


def strategy_not_reviewed(config: MarketConfig, summary: dict) -> list[dict]:
    """A lender with a strategy other than ``fixed`` that never reviewed (it entered too
    late, or reviews less often than the run lends): its strategy did not act.
    """
    reviewed = {e["lender"] for e in summary.get("strategy_decisions", [])}
    out = []
    for i, lender in enumerate(config.lenders):
        strategy = lender.strategy
        if strategy.kind != "fixed" and lender.name not in reviewed:
            out.append(_warning(
                "strategy_not_reviewed", f"lenders.{i}.strategy ({strategy.kind}) never "
                f"reviewed: it enters on day {lender.entry_day} and reviews every "
                f"{strategy.review_every_days} days, and the run lends for "
                f"{config.run.steps} days; lower lenders.{i}.strategy.review_every_days or "
                "raise run.steps.", lender.name))
    return out


def run_health(config: MarketConfig, summary: dict, loans: pd.DataFrame) -> list[dict]:
    """Every warning of a run: ``[{"code", "lender", "message"}, ...]`` (empty when fit)."""
    return [*zero_loans(config, summary), *model_not_live(config, summary),
            *losses_not_emerged(config, loans), *runoff_unfinished(config, loans),
            *capacity_slack(config, summary), *model_drift(config, summary),
            *strategy_not_reviewed(config, summary)]
