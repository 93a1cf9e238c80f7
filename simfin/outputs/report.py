"""The Markdown report of a run: the summary table and the figures."""

from __future__ import annotations

from simfin.config import MarketConfig

# (key in summary, label, formatter)
ROWS = (
    ("applications", "Applications", "{:,}"),
    ("approval_rate", "Approval rate", "{:.1%}"),
    ("loans", "Loans booked", "{:,}"),
    ("disbursed", "Disbursed (yuan)", "cents"),
    ("default_rate", "Default rate (90+ DPD, seasoned loans)", "{:.2%}"),
    ("loss_rate", "Loss rate (annualised)", "{:.2%}"),
    ("yield", "Yield (annualised)", "{:.2%}"),
    ("cure_rate", "Cure rate", "{:.1%}"),
    ("fraud_loss", "Fraud loss (yuan)", "cents"),
    ("cac", "CAC (yuan per new customer)", "cents"),
    ("time_to_cash_minutes", "Time to cash (median minutes)", "{:.1f}"),
    ("profit", "Profit (yuan)", "cents"),
)


def _fmt(value, how: str) -> str:
    if value is None:
        return "n/a"
    if how == "cents":
        return f"{value / 100:,.0f}"
    return how.format(value)


def summary_table(summary: dict) -> str:
    """The summary as a Markdown table: one column per lender and one for the market."""
    names = list(summary["lenders"])
    header = "| indicator | " + " | ".join(names) + " | market |"
    lines = [header, "|---" * (len(names) + 2) + "|"]
    for key, label, how in ROWS:
        cells = [_fmt(summary["lenders"][n].get(key), how) for n in names]
        cells.append(_fmt(summary["market"].get(key), how))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
        f"consortium: {'on' if config.policy.consortium else 'off'}.",
        "",
        "## Summary",
        "",
        summary_table(summary),
        "",
        "Definitions of every indicator are in the simfin README (section *Indicators*).",
        "",
        "## Figures",
        "",
    ]
    for path in figures:
        parts += [f"![{path}]({path})", ""]
    return "\n".join(parts)
