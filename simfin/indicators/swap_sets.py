"""Swap sets: who one strategy approves that another declined, and the reverse.

Two runs of the same market and seed (common random numbers) see largely the same
applications; a different strategy changes who is approved, and from then on the market
drifts apart a little. An application is identified by its lender, day, applicant,
scenario, product and term (and its order among identical ones). Per lender:

- **in both**: approved in both runs;
- **swap-out**: approved by run A and not by run B (declined there, or never made);
- **swap-in**: approved by run B and not by run A.

So ``in_both + swap_out`` is run A's approvals and ``in_both + swap_in`` run B's. For each
set: the count, the loans booked, their realised bad rate (30+ days past due, in the run
that approved them) and the answer key's expected bad rate (mean ``true_pd``), which a
real lender lacks for its swap-ins. The market's one random stream keeps the two runs
identical only until the strategies first decide differently; after that the applicants
themselves drift apart, so the table says how many swaps are decisions on the same
application and how many are applications the other run never received (``unmatched``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["lender", "day", "consumer", "scenario", "product", "term_days"]
SETS = ("in_both", "swap_out", "swap_in")


def keyed(apps: pd.DataFrame) -> pd.DataFrame:
    """The decided applications of a run, keyed (``KEY`` plus ``nth``: the order among
    identical keys), with ``approved``, ``taken_up``, ``bad`` (booked and 30+ days past
    due) and ``true_pd``. ``apps``: the application log (coded) or applications.parquet
    (named); lenders, scenarios and products are compared as text.
    """
    decision = apps["decision"]
    approved = ((decision == 1) if decision.dtype.kind in "iu"
                else (decision.astype(str) == "approved")).to_numpy()
    out = pd.DataFrame({k: apps[k].astype(str).to_numpy() if k in ("lender", "scenario",
                                                                      "product")
                        else apps[k].to_numpy() for k in KEY})
    taken = apps["loan_id"].to_numpy() >= 0
    out["approved"] = approved
    out["taken_up"] = taken
    out["bad"] = apps["ever_30dpd"].fillna(False).astype(bool).to_numpy() & taken
    out["true_pd"] = (apps["true_pd"].to_numpy(np.float64) if "true_pd" in apps
                      else np.nan)
    out["nth"] = out.groupby(KEY, sort=False).cumcount()
    return out


def _stats(rows: pd.DataFrame, prefix: str) -> dict[str, float | int | None]:
    loans = int(rows["taken_up"].sum())
    return {prefix: len(rows), f"{prefix}_loans": loans,
            f"{prefix}_bad_rate": float(rows["bad"].sum()) / loans if loans else None,
            f"{prefix}_true_pd": float(rows["true_pd"].mean()) if len(rows) else None}


def swap_sets(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per lender, the swap sets of run B against run A (:func:`keyed` frames of each).

    Returns:
        One row per lender: ``approvals_a``, ``approvals_b``, ``matched`` (share of A's
        applications that B also received: after the strategies first differ, the two
        markets drift apart and fewer applications have a counterpart); for each of
        ``in_both``, ``swap_out`` and ``swap_in`` the count, ``_loans``, ``_bad_rate`` and
        ``_true_pd`` (outcomes from the run that approved); ``swap_out_unmatched`` and
        ``swap_in_unmatched``: swaps whose application the other run never received.
    """
    keys = [*KEY, "nth"]
    merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    approved_a = merged["approved_a"].fillna(False).astype(bool)
    approved_b = merged["approved_b"].fillna(False).astype(bool)
    rows = []
    for lender in sorted(set(a["lender"]) | set(b["lender"])):
        mine = merged["lender"] == lender
        side_a = merged[mine].rename(columns=lambda c: c[:-2] if c.endswith("_a") else c)
        side_b = merged[mine].rename(columns=lambda c: c[:-2] if c.endswith("_b") else c)
        in_a, in_b = approved_a[mine], approved_b[mine]
        received_a = mine & merged["_merge"].isin(["both", "left_only"])
        row = {"lender": lender, "approvals_a": int(in_a.sum()),
               "approvals_b": int(in_b.sum()),
               "matched": float((merged["_merge"][received_a] == "both").mean())
               if received_a.any() else None}
        row.update(_stats(side_a[in_a & in_b], "in_both"))
        row.update(_stats(side_a[in_a & ~in_b], "swap_out"))
        row.update(_stats(side_b[in_b & ~in_a], "swap_in"))
        both = merged["_merge"][mine] == "both"
        row["swap_out_unmatched"] = int((in_a & ~in_b & ~both).sum())
        row["swap_in_unmatched"] = int((in_b & ~in_a & ~both).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def swap_markdown(table: pd.DataFrame, label: str = "") -> str:
    """A small Markdown table of swap sets: counts (of which unmatched), bad rates and
    the answer key's expected bad rates (in %).
    """
    def pct(value: float | None) -> str:
        return "n/a" if value is None or not np.isfinite(value) else f"{100 * value:.1f}"

    head = ("| " + (f"{label} | " if label else "") + "lender | matched % | in both | "
            "swap-out (unmatched) | swap-in (unmatched) | swap-out bad % (key %) | "
            "swap-in bad % (key %) |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for row in table.to_dict("records"):
        first = f"| {row[label]} | " if label else "| "
        lines.append(
            f"{first}{row['lender']} | {pct(row['matched'])} | {row['in_both']} | "
            f"{row['swap_out']} ({row['swap_out_unmatched']}) | "
            f"{row['swap_in']} ({row['swap_in_unmatched']}) | "
            f"{pct(row['swap_out_bad_rate'])} ({pct(row['swap_out_true_pd'])}) | "
            f"{pct(row['swap_in_bad_rate'])} ({pct(row['swap_in_true_pd'])}) |")
    return "\n".join(lines)
