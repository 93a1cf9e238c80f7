"""How a run's numbers are shown: formats, the indicator rows, and Markdown tables.

Shared by ``report.md`` and the terminal summary so that both say the same thing the same
way: money in yuan with thousands separators, ratios as percentages, counts with
separators, ``n/a`` where an indicator is undefined (e.g. a rate over no loans).
"""

from __future__ import annotations

from collections.abc import Sequence

from simfin.indicators.summary import MONTH_DAYS

CENTS_PER_YUAN = 100

# (key in summary, label, format); labels stay short so the table fits 80 columns.
ROWS = (
    ("applications", "Applications", "count"),
    ("approval_rate", "Approval rate", "pct1"),
    ("loans", "Loans booked", "count"),
    ("disbursed", "Disbursed (yuan)", "yuan"),
    ("default_rate", "Default, seasoned (90+)", "pct2"),
    ("lifetime_default_rate", "Default, lifetime (90+)", "pct2"),
    ("loss_rate", "Loss rate (annualised)", "pct2"),
    ("yield", "Yield (annualised)", "pct2"),
    ("cure_rate", "Cure rate", "pct1"),
    ("collection_30d_rate", "30-day collection rate", "pct1"),
    ("fraud_loss", "Fraud loss (yuan)", "yuan"),
    ("cac", "CAC (yuan/new customer)", "yuan2"),
    ("time_to_cash_minutes", "Time to cash (min)", "num1"),
    ("profit_after_provisions", "Profit after prov. (yuan)", "yuan"),
    ("profit", "Profit before prov. (yuan)", "yuan"),
    ("provision_coverage", "Provision coverage (90+)", "pct1"),
)


def fmt(value, how: str) -> str:
    """One value as text; ``how`` is count, yuan (from cents), yuan2, pct1, pct2 or num1."""
    if value is None:
        return "n/a"
    if how == "count":
        return f"{int(value):,}"
    if how == "yuan":
        return f"{value / CENTS_PER_YUAN:,.0f}"
    if how == "yuan2":
        return f"{value / CENTS_PER_YUAN:,.2f}"
    if how == "pct1":
        return f"{value:.1%}"
    if how == "pct2":
        return f"{value:.2%}"
    if how == "num1":
        return f"{value:,.1f}"
    raise ValueError(f"unknown format {how!r}")


def lender_blocks(names: Sequence[str], per_block: int) -> list[list[str]]:
    """Lender names (and ``market``) cut into blocks of at most ``per_block`` columns."""
    columns = [*names, "market"]
    per_block = max(per_block, 1)
    return [columns[i:i + per_block] for i in range(0, len(columns), per_block)]


def indicator_cells(summary: dict, column: str) -> list[str]:
    """The formatted :data:`ROWS` of one lender (or ``market``)."""
    ind = summary["market"] if column == "market" else summary["lenders"][column]
    return [fmt(ind.get(key), how) for key, _, how in ROWS]


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]],
             right_from: int = 1) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned (numbers)."""
    align = ["---" if i < right_from else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(summary: dict, per_block: int = 6) -> str:
    """Indicators as rows, lenders as columns, in blocks of ``per_block`` columns."""
    labels = [label for _, label, _ in ROWS]
    tables = []
    for block in lender_blocks(list(summary["lenders"]), per_block):
        cells = [indicator_cells(summary, c) for c in block]
        rows = [[label, *(col[i] for col in cells)] for i, label in enumerate(labels)]
        tables.append(markdown(["indicator", *block], rows))
    return "\n\n".join(tables)


def declines_markdown(summary: dict) -> str:
    """Declines by reason code: count and share of the lender's applications."""
    names = list(summary["lenders"])
    reasons = sorted({r for n in names for r in summary["lenders"][n]["declines_by_reason"]})
    if not reasons:
        return "No application was declined."
    rows = []
    for reason in reasons:
        row = [reason]
        for n in names:
            ind = summary["lenders"][n]
            count = ind["declines_by_reason"].get(reason, 0)
            apps = ind["applications"]
            row.append(f"{count:,} ({count / apps:.1%})" if apps else f"{count:,}")
        rows.append(row)
    return markdown(["reason", *names], rows)


# Breakdown name -> (summary key, [(field, label, format)]) of its table.
BREAKDOWNS = {
    "scenario": ("by_scenario", [("loans", "loans", "count"), ("share", "share", "pct1"),
                                 ("median_ticket_cents", "median ticket (yuan)", "yuan"),
                                 ("short_term_share", "short-term", "pct1"),
                                 ("default_share", "defaulted", "pct2")]),
    "channel": ("by_channel", [("applications", "applications", "count"),
                               ("loans", "loans", "count"),
                               ("acquisition_cost", "acquisition (yuan)", "yuan"),
                               ("cac", "CAC (yuan)", "yuan2"),
                               ("default_share", "defaulted", "pct2")]),
    "cohort": ("by_cohort", [("needs", "needs", "count"),
                             ("applications", "applications", "count"),
                             ("conversion", "conversion", "pct1"), ("loans", "loans", "count"),
                             ("default_share", "defaulted", "pct2")]),
    "region": ("by_region", [("loans", "loans", "count"),
                             ("disbursed", "disbursed (yuan)", "yuan"),
                             ("default_share", "defaulted", "pct2")]),
    "grade": ("by_grade", [("loans", "loans", "count"),
                           ("disbursed", "disbursed (yuan)", "yuan"),
                           ("default_share", "defaulted", "pct2")]),
}


def breakdown_markdown(indicators: dict, kind: str) -> str:
    """One breakdown (scenario, channel, cohort, region or grade) of one lender or the
    market as a Markdown table; empty when the summary has none.
    """
    key, fields = BREAKDOWNS[kind]
    groups = indicators.get(key) or {}
    if not groups:
        return ""
    rows = [[name, *(fmt(g.get(f), how) for f, _, how in fields)]
            for name, g in groups.items()]
    return markdown([kind, *(label for _, label, _ in fields)], rows)


VINTAGE_MONTHS = (3, 6, 9, 12)  # months on book shown in the report's vintage table


def first_default_month(default_dpd: int, shortest_period_days: int) -> int:
    """The first month on book at which a loan can have reached default: its first
    instalment falls due ``shortest_period_days`` after booking at the earliest, and it
    defaults ``default_dpd`` days later; a vintage's month ``m`` counts defaults before day
    ``30 m`` on book.
    """
    return (default_dpd + shortest_period_days) // MONTH_DAYS + 1


def vintage_markdown(indicators: dict, first_month: int,
                     months: Sequence[int] = VINTAGE_MONTHS) -> str:
    """Cumulative default share of each origination month at a few months on book: the
    first month at which a default can have happened (``first_month``), then those of
    ``months`` after it (an earlier column would be 0 % by construction), each only if a
    vintage is that old.
    """
    vintages = indicators.get("vintages") or []
    if not vintages:
        return ""
    oldest = max(len(v["cumulative_default"]) for v in vintages)
    shown = [m for m in sorted({first_month, *(m for m in months if m > first_month)})
             if m <= oldest] or [first_month]
    rows = []
    for v in vintages:
        curve = v["cumulative_default"]
        rows.append([str(v["origination_month"]), f"{v['loans']:,}",
                     *(f"{curve[m - 1]:.2%}" if len(curve) >= m else "" for m in shown)])
    return markdown(["origination month", "loans", *(f"MOB {m}" for m in shown)], rows)


def provisions_markdown(summary: dict) -> str:
    """Profit after provisions (the headline) beside profit before them, the net provision
    charge, the allowance at the end and its coverage of the 90+ DPD balance, per lender
    and for the market.
    """
    fields = (("profit_after_provisions", "profit after provisions (yuan)", "yuan"),
              ("profit", "profit before provisions (yuan)", "yuan"),
              ("net_provision_charge", "net provision charge (yuan)", "yuan"),
              ("allowance_end", "allowance at the end (yuan)", "yuan"),
              ("provision_coverage", "coverage of 90+ DPD", "pct1"))
    rows = [[name, *(fmt(ind.get(f), how) for f, _, how in fields)]
            for name, ind in [*summary["lenders"].items(), ("market", summary["market"])]]
    return markdown(["lender", *(label for _, label, _ in fields)], rows)


def migration_markdown(indicators: dict) -> str:
    """A stage migration (``stage_migration``) as a table in yuan: the balance in each
    stage at the start of a 30-day period (or originated in it) by where it was at the
    period's end; empty when the summary has none.
    """
    matrix = indicators.get("stage_migration")
    if not matrix:
        return ""
    columns = list(next(iter(matrix.values())))
    rows = [[origin, *(fmt(to[c], "yuan") for c in columns)] for origin, to in matrix.items()]
    return markdown(["from \\ to", *columns], rows)
