"""The Markdown report of a run: warnings, the summary, why applicants were declined,
the breakdowns, vintages and the figures.
"""

from __future__ import annotations

from simfin.config import MarketConfig
from simfin.config.macro import shipped_paths
from simfin.config.policy import POLICY_LEVERS, describe_levers
from simfin.lending.loan_book import INSTALMENT_PERIOD_DAYS
from simfin.outputs.tables import (
    BREAKDOWNS,
    breakdown_markdown,
    declines_markdown,
    first_default_month,
    fmt,
    migration_markdown,
    provisions_markdown,
    summary_markdown,
    vintage_markdown,
)


def warnings_markdown(summary: dict) -> str:
    """The run-health warnings as a list, or a line saying there are none."""
    warnings = summary.get("warnings") or []
    if not warnings:
        return "No run-health warnings."
    return "\n".join(f"- **{w['code']}**: {w['message']}" for w in warnings)


def policy_record(config: MarketConfig, summary: dict) -> dict:
    """The run's ``policy`` record (``summary.json``; see ``Regulator.record``), or, for a
    summary made without one, the config's reading: its day-0 policy and the schedule
    entries dated before ``run.steps`` (``in_force`` left empty).
    """
    record = summary.get("policy")
    if record is not None:
        return record
    initial = {name: getattr(config.policy, name) for name in POLICY_LEVERS}
    applied = [{"day": e.day, "changes": e.changes()} for e in config.policy.schedule
               if e.day < config.run.steps]
    return {"initial": initial, "changes_applied": applied, "in_force": []}


def policy_markdown(config: MarketConfig, summary: dict) -> str:
    """The policy in force over the run: the day-0 policy, then one row per schedule entry
    applied (its day, the fields it named, the policy from then on); entries the run never
    reached are listed after.
    """
    record = policy_record(config, summary)
    state = dict(record["initial"])
    applied = record["changes_applied"]
    lines = [f"Policy on day 0: {describe_levers(state)}."]
    if applied:
        lines += ["", "| from day | change applied | policy in force |", "|---:|---|---|",
                  f"| 0 | (initial policy) | {describe_levers(state)} |"]
        for entry in applied:
            state.update(entry["changes"])
            lines.append(f"| {entry['day']} | {describe_levers(entry['changes'])} | "
                         f"{describe_levers(state)} |")
    scheduled = config.policy.schedule
    missed = [e for e in scheduled if e.day >= config.run.steps]
    if not scheduled:
        lines[0] += " No change was scheduled."
    if missed:
        listed = "; ".join(f"day {e.day}: {describe_levers(e.changes())}" for e in missed)
        lines += ["", "Scheduled but never applied (dated after the run's last lending "
                      f"day, day {config.run.steps - 1}): {listed}."]
    return "\n".join(lines)


def _breakdowns(summary: dict) -> list[str]:
    parts = []
    for kind in BREAKDOWNS:
        if kind == "grade":  # by lender: grades are each lender's own
            for name, ind in summary["lenders"].items():
                table = breakdown_markdown(ind, kind)
                if table:
                    parts += [f"### Loans by grade: {name}", "", table, ""]
            continue
        table = breakdown_markdown(summary["market"], kind)
        if table:
            parts += [f"### By {kind} (market)", "", table, ""]
    return parts


def discrimination_markdown(summary: dict) -> str:
    """Per lender: AUC, KS and Brier of its model's PD on its own seasoned loans."""
    rows = ["| lender | AUC | KS | Brier | scored seasoned loans | 30+ DPD | out-of-time AUC "
            "| refits deployed | note |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, ind in summary["lenders"].items():
        d = ind.get("discrimination")
        if d is None:
            continue

        def num(key: str, d: dict = d) -> str:
            return "n/a" if d[key] is None else f"{d[key]:.3f}"

        v = ind.get("validation") or {}
        oot = "n/a" if v.get("monitoring_auc") is None else f"{v['monitoring_auc']:.3f}"
        refits = f"{v['deployed']} of {v['fits']}" if v else "n/a"
        rows.append(f"| {name} | {num('auc')} | {num('ks')} | {num('brier')} | "
                    f"{d['loans']:,} | {d['bad_loans']:,} | {oot} | {refits} | "
                    f"{d['reason'] or ''} |")
    return "\n".join(rows)


def conduct_markdown(summary: dict) -> str:
    """One row per strategy decision and capital event, in day order."""
    events = sorted(summary.get("strategy_decisions", []) + summary.get("capital_events", []),
                    key=lambda e: e["day"])
    if not events:
        return "None in this run."
    rows = ["| day | lender | decision | reason | levers after |", "|---:|---|---|---|---|"]
    for e in events:
        after = e.get("after")
        levers = "" if after is None else ", ".join(
            f"{k}={'none' if v is None else f'{v:.4g}'}" for k, v in after.items())
        rows.append(f"| {e['day']} | {e['lender']} | {e['action']} | {e['reason']} | "
                    f"{levers} |")
    return "\n".join(rows)


def co_lending_markdown(summary: dict) -> str:
    """Per lender, its co-lending totals in yuan ('' in a run without funding partners)."""
    rows = ["| lender | funded by partners | funded for others | service fees earned | "
            "guarantee paid | guarantee received |", "|---|---:|---:|---:|---:|---:|"]
    for name, ind in summary["lenders"].items():
        c = ind.get("co_lending")
        if c is not None:
            rows.append(f"| {name} | " + " | ".join(
                f"{c[k] / 100:,.0f}" for k in ("funded_by_partners", "funded_for_others",
                                               "service_fees_earned", "guarantee_paid",
                                               "guarantee_received")) + " |")
    return "\n".join(rows) if len(rows) > 2 else ""


def stability_markdown(summary: dict) -> str:
    """Per lender and month: the score PSI and the most moved characteristic's ('' when
    no lender's model was monitored).
    """
    def num(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    rows = ["| lender | from day | scored applications | score PSI | most moved "
            "characteristic | its PSI |", "|---|---:|---:|---:|---|---:|"]
    for name, ind in summary["lenders"].items():
        for m in (ind.get("monitoring") or {}).get("months") or []:
            rows.append(f"| {name} | {m['first_day']} | {m['applications']:,} | "
                        f"{num(m['score_psi'])} | {m['max_characteristic'] or ''} | "
                        f"{num(m['max_characteristic_psi'])} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def shortest_period_days(config: MarketConfig) -> int:
    """The shortest time from booking to a first instalment any loan of the market can
    have: a bullet loan's term (at least its product's ``min_term_days``), else a month.
    """
    shortest = min((p.min_term_days for lender in config.lenders for p in lender.products),
                   default=INSTALMENT_PERIOD_DAYS)
    return min(shortest, INSTALMENT_PERIOD_DAYS)


def macro_markdown(config: MarketConfig, summary: dict) -> list[str]:
    """The macroeconomic path the run went through (none for a steady economy): which path,
    from which day, its source, and each lender's and the market's worst days.
    """
    macro = config.macro
    if macro.steady:
        return []
    if macro.scenario == "custom":
        source = "a user-written path (`macro.custom`)."
    elif macro.scenario == "regimes":
        source = (f"recessions that start at random (one in `macro.expansion_days` = "
                  f"{macro.expansion_days:g} days of expansion), each running the "
                  f"`{macro.recession_path}` path.")
    else:
        source = shipped_paths()[macro.scenario]["source"]
    rows = ["| | worst 1+ DPD ratio | worst 30+ DPD ratio | 30+ DPD at the end (yuan) |",
            "|---|---|---|---|"]
    for name, ind in {**summary["lenders"], "market": summary["market"]}.items():
        rows.append(f"| {name} | {fmt(ind.get('dpd1_ratio_peak'), 'pct2')} | "
                    f"{fmt(ind.get('dpd30_ratio_peak'), 'pct2')} | "
                    f"{fmt(ind.get('dpd30_balance_end'), 'yuan')} |")
    return ["## Macroeconomic path", "",
            f"`macro.scenario: {macro.scenario}` from day {macro.start_day} "
            f"(`macro.start_day`); the drivers day by day are the `macro_*` columns of "
            f"`steps.parquet` and the `macro.png` figure, and the downturn days are shaded on "
            f"the daily figures. Source: {source}", "", *rows, ""]


def render_report(config: MarketConfig, summary: dict, figures: list[str]) -> str:
    """The whole report as Markdown; ``figures`` are paths relative to the report."""
    run = config.run
    parts = [
        f"# simfin run: {run.name}",
        "",
        f"{config.population.n_consumers:,} consumers, {len(config.lenders)} lenders, "
        f"{len(config.scenarios)} scenarios, {len(config.channels)} channels; "
        f"{run.steps} days"
        f"{f' and {run.runoff_days} days of run-off (no new loans)' if run.runoff_days else ''}"
        f", seed {run.seed}. Money in yuan.",
        "",
        *macro_markdown(config, summary),
        "## Policy in force",
        "",
        policy_markdown(config, summary),
        "",
        "## Run-health warnings",
        "",
        warnings_markdown(summary),
        "",
        "## Profit after provisions (IFRS 9)",
        "",
        "Each lender holds an allowance for expected credit losses (IFRS 9, China's CAS "
        "22: 12-month losses in stage 1, lifetime losses in stage 2 (30+ days past due) and "
        "stage 3 (90+ or defaulted)); its provision charge is the credit loss of profit "
        "after provisions, where profit before provisions counts write-offs net of "
        "recoveries. Coverage: the allowance over the 90+ DPD balance at the end.",
        "",
        provisions_markdown(summary),
        "",
        "## Summary",
        "",
        summary_markdown(summary),
        "",
        "Definitions of every indicator are in the simfin README (section *Indicators*).",
        "",
        "## Declines by reason",
        "",
        "Declined applications by reason code (share of the lender's applications).",
        "",
        declines_markdown(summary),
        "",
        "## Breakdowns",
        "",
        *_breakdowns(summary),
    ]
    parts += ["## Model discrimination", "",
              "How well each lender's model score (PD at decision) separated the loans that "
              "went 30+ days past due from the others, on its own seasoned loans: AUC (0.5 = "
              "no better than chance), KS (largest gap between the score distributions of "
              "bad and good loans) and Brier score (mean squared error of the PD). The "
              "approval/default frontier figure shows what stricter thresholds would have "
              "given. On its own book a model looks worse than it is (its threshold removed "
              "the high scores, and early fits decided early loans); the out-of-time AUC is "
              "the model in use ranking the newest outcomes, held out at the last refit, "
              "which no fit in use had seen. A refit is deployed only if it validates.", "",
              discrimination_markdown(summary), ""]
    stability = stability_markdown(summary)
    if stability:
        parts += ["## Model monitoring", "",
                  "Population stability index (PSI) of each model's score and of its most "
                  "moved characteristic, per month, against the applicants of the 90 days "
                  "before the model in use was deployed (above 0.25: a population the model "
                  "was not built on; the run-health warning `model_drift`).", "",
                  stability, ""]
    migrations = [(name, migration_markdown(ind)) for name, ind in summary["lenders"].items()]
    if any(table for _, table in migrations):
        parts += ["## Stage migration", "",
                  "Balances (yuan) in each stage at the start of each 30-day period, or "
                  "originated in it, by where they were at its end, summed over the run.", ""]
        for name, table in migrations:
            parts += [f"### {name}", "", table, ""]
    first = first_default_month(run.default_dpd, shortest_period_days(config))
    vintages = vintage_markdown(summary["market"], first)
    if vintages:
        parts += ["## Vintages (market)", "",
                  f"Cumulative share of loans reaching {run.default_dpd}+ days past due by "
                  "month on book (MOB), by origination month (30 days); blank where the "
                  f"vintage is not yet that old. MOB {first} is the first at which a loan "
                  f"of this market can have reached {run.default_dpd}+ DPD (its first "
                  "instalment due, then the days past due).", "", vintages, ""]
    co_lending = co_lending_markdown(summary)
    if co_lending:
        parts += ["## Funding partners", "",
                  "Principal each lender sold to or bought from its funding partners, the "
                  "interest above the partners' price it kept (service fees), and the "
                  "outstanding parts bought at write-off by the party that bears the loss "
                  "(yuan; `lenders.N.funding.partners`).", "", co_lending, ""]
    if "strategy_decisions" in summary or "capital_events" in summary:
        parts += ["## Strategy decisions and capital events", "",
                  "Every review of a lender's strategy and every entry, stop, restoration "
                  "and exit on its capital ratio or funding, with its reason "
                  "(`lenders.N.strategy`, `policy.min_capital_ratio`, "
                  "`policy.max_funding_multiple`); marked on the figures.", "",
                  conduct_markdown(summary), ""]
    parts += ["## Figures", ""]
    for path in figures:
        parts += [f"![{path}]({path})", ""]
    return "\n".join(parts)
