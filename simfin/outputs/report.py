"""The Markdown report of a run: warnings, the summary, why applicants were declined,
the breakdowns, vintages and the figures.
"""

from __future__ import annotations

from simfin.config import MarketConfig
from simfin.outputs.tables import (
    BREAKDOWNS,
    breakdown_markdown,
    declines_markdown,
    summary_markdown,
    vintage_markdown,
)


def warnings_markdown(summary: dict) -> str:
    """The run-health warnings as a list, or a line saying there are none."""
    warnings = summary.get("warnings") or []
    if not warnings:
        return "No run-health warnings."
    return "\n".join(f"- **{w['code']}**: {w['message']}" for w in warnings)


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


def render_report(config: MarketConfig, summary: dict, figures: list[str]) -> str:
    """The whole report as Markdown; ``figures`` are paths relative to the report."""
    run = config.run
    parts = [
        f"# simfin run: {run.name}",
        "",
        f"{config.population.n_consumers:,} consumers, {len(config.lenders)} lenders, "
        f"{len(config.scenarios)} scenarios, {len(config.channels)} channels; "
        f"{run.steps} days, seed {run.seed}. APR cap: "
        f"{'none' if config.policy.apr_cap is None else f'{config.policy.apr_cap:.0%}'}; "
        f"consortium: {'on' if config.policy.consortium else 'off'}. Money in yuan.",
        "",
        "## Run-health warnings",
        "",
        warnings_markdown(summary),
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
    vintages = vintage_markdown(summary["market"])
    if vintages:
        parts += ["## Vintages (market)", "",
                  f"Cumulative share of loans reaching {run.default_dpd}+ days past due by "
                  "month on book (MOB), by origination month (30 days); blank where the "
                  "vintage is not yet that old.", "", vintages, ""]
    parts += ["## Figures", ""]
    for path in figures:
        parts += [f"![{path}]({path})", ""]
    return "\n".join(parts)
