"""The run summary on the terminal: readable at 80 columns with any number of lenders.

Indicators are rows and lenders columns, as in ``report.md``; when the lenders do not fit
the console's width, the table is repeated in blocks of as many lenders as fit. Below it:
the top decline reasons of each lender and the run-health warnings.
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from simfin.outputs.tables import ROWS, indicator_cells

TOP_REASONS = 3  # decline reasons shown per lender
_COLUMN_CHROME = 3  # a rich column's padding and border


def _blocks(summary: dict, width: int) -> list[list[str]]:
    """Columns (lenders, then market) packed into blocks that fit ``width``, as even in
    size as the width allows (no block of one lone column after a full one).
    """
    label_width = max(len(label) for _, label, _ in ROWS) + _COLUMN_CHROME + 1
    columns = [*summary["lenders"], "market"]
    need = {c: max(len(c), *(len(x) for x in indicator_cells(summary, c))) + _COLUMN_CHROME
            for c in columns}

    def pack(most: int) -> list[list[str]]:
        blocks: list[list[str]] = [[]]
        used = label_width
        for column in columns:
            if blocks[-1] and (used + need[column] > width or len(blocks[-1]) >= most):
                blocks.append([])
                used = label_width
            blocks[-1].append(column)
            used += need[column]
        return blocks

    blocks = pack(len(columns))
    even = pack(math.ceil(len(columns) / len(blocks)))
    return even if len(even) == len(blocks) else blocks


def summary_tables(summary: dict, width: int) -> list[Table]:
    """The summary as rich tables that each fit ``width`` columns."""
    tables = []
    blocks = _blocks(summary, width)
    for k, block in enumerate(blocks):
        title = "simfin summary" + (f" ({k + 1}/{len(blocks)})" if len(blocks) > 1 else "")
        table = Table(title=title, box=box.SIMPLE_HEAD)
        table.add_column("indicator", no_wrap=True)
        for column in block:
            table.add_column(column, justify="right", no_wrap=True)
        cells = [indicator_cells(summary, c) for c in block]
        for i, (_, label, _) in enumerate(ROWS):
            table.add_row(label, *(col[i] for col in cells))
        tables.append(table)
    return tables


def decline_lines(summary: dict) -> list[str]:
    """One line per lender: its most frequent decline reasons."""
    lines = []
    for name, ind in summary["lenders"].items():
        reasons = sorted((ind.get("declines_by_reason") or {}).items(),
                         key=lambda kv: -kv[1])[:TOP_REASONS]
        apps = ind["applications"]
        text = ", ".join(f"{r} {c:,}" + (f" ({c / apps:.0%})" if apps else "")
                         for r, c in reasons) or "none"
        lines.append(f"{name}: {text}")
    return lines


def print_summary(summary: dict, console: Console | None = None) -> None:
    """Print the summary tables, top decline reasons and warnings."""
    console = console or Console()
    for table in summary_tables(summary, console.width):
        console.print(table)
    console.print("[bold]Top decline reasons[/bold] (share of applications)")
    for line in decline_lines(summary):
        console.print(Padding(line, (0, 0, 0, 2)), highlight=False)
    warnings = summary.get("warnings") or []
    if warnings:
        console.print(f"[bold yellow]{len(warnings)} run-health warning(s)[/bold yellow]")
        for w in warnings:
            console.print(Padding(f"- {w['message']}", (0, 0, 0, 2)), highlight=False)
    console.print("Breakdowns by scenario, channel, grade, cohort and region: report.md",
                  highlight=False)
