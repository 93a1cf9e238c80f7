"""The swap-set table of an experiment's comparison report: each scenario against the
baseline, per lender, summed over the runs paired by design point and replicate (the same
seed): :mod:`simfin.indicators.swap_sets`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simfin.indicators.swap_sets import swap_markdown, swap_sets

COUNTS = ("approvals_a", "approvals_b", "in_both", "swap_out", "swap_in",
          "swap_out_unmatched", "swap_in_unmatched")


def _pooled(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Swap tables of paired runs pooled per lender: counts summed, rates weighted (bad
    rates by loans, the key by applications, matched by A's approvals).
    """
    rows = []
    for lender, group in pd.concat(tables).groupby("lender", sort=False):
        row = {"lender": lender, **{k: int(group[k].sum()) for k in COUNTS}}
        for s in ("in_both", "swap_out", "swap_in"):
            loans = group[f"{s}_loans"]
            row[f"{s}_loans"] = int(loans.sum())
            bad = (group[f"{s}_bad_rate"].astype(float).fillna(0) * loans).sum()
            row[f"{s}_bad_rate"] = bad / loans.sum() if loans.sum() else None
            n = group[s]
            key = (group[f"{s}_true_pd"].astype(float).fillna(0) * n).sum()
            row[f"{s}_true_pd"] = key / n.sum() if n.sum() else None
        m = group["matched"].astype(float)
        row["matched"] = float(np.average(m.fillna(0), weights=group["approvals_a"] + 1e-9))
        rows.append(row)
    return pd.DataFrame(rows)


def swap_section(folder: Path, tasks: list, baseline: str) -> list[str]:
    """Report lines: the swap sets of each scenario against ``baseline`` (empty when the
    runs kept no applications or there is one scenario).

    Args:
        folder: The experiment folder (its ``swaps/`` parts).
        tasks: The plan's runs.
        baseline: The baseline scenario's name.
    """
    from simfin.experiments.store import ExperimentFolder

    store = ExperimentFolder(folder)
    base = {(t.point, t.replicate): t for t in tasks if t.scenario == baseline}
    tables = []
    for task in tasks:
        pair = base.get((task.point, task.replicate))
        if task.scenario == baseline or pair is None:
            continue
        a, b = store.applications(pair), store.applications(task)
        if a is None or b is None:
            continue
        tables.append(swap_sets(a, b).assign(scenario=task.scenario))
    if not tables:
        return []
    pooled = [_pooled([t for t in tables if t["scenario"].iloc[0] == s]).assign(scenario=s)
              for s in dict.fromkeys(t["scenario"].iloc[0] for t in tables)]
    return ["## Swap sets", "",
            f"Applications each scenario approves that `{baseline}` did not (swap-in) and "
            "the reverse (swap-out), summed over the paired runs; bad % of the loans booked "
            "and, in brackets, the answer key's expected bad rate (`true_pd`). *Matched*: "
            f"share of `{baseline}`'s applications the scenario's run also received (the "
            "markets drift apart once decisions differ; unmatched swaps are applications "
            "the other run never saw).", "",
            swap_markdown(pd.concat(pooled, ignore_index=True), "scenario"), ""]
