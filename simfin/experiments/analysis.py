"""Statistics of an experiment: 95 % intervals and paired differences to the baseline.

Scenarios share replicate seeds (common random numbers), so the difference of scenario B to
the baseline is taken seed by seed and its interval comes from those paired differences: far
narrower than comparing two independent means. Intervals are Student t, or a BCa bootstrap
(``scipy.stats.bootstrap``) when the file asks or, by default, below ``BOOTSTRAP_BELOW``
replicates, where normality of the mean cannot be relied on. Identical samples give the
degenerate interval [x, x]: two identical scenarios differ by exactly 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

BOOTSTRAP_BELOW = 10
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval and the method that gave it."""

    mean: float
    low: float
    high: float
    n: int
    method: str

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return bool(self.low > 0 or self.high < 0)


def interval(values: np.ndarray, method: str = "auto", seed: int = 0) -> Interval:
    """Mean of ``values`` (NaNs dropped) with its 95 % interval.

    Args:
        values: One number per replicate.
        method: ``t``, ``bootstrap`` or ``auto`` (bootstrap below ``BOOTSTRAP_BELOW``).
        seed: Seed of the bootstrap resampling (reproducible reports).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0, "none")
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, np.nan, np.nan, 1, "none")
    if np.all(x == x[0]):
        return Interval(mean, mean, mean, n, "exact")
    use = "bootstrap" if method == "bootstrap" or (method == "auto" and n < BOOTSTRAP_BELOW
                                                   and n >= 3) else "t"
    if use == "bootstrap":
        res = stats.bootstrap((x,), np.mean, confidence_level=CONFIDENCE, method="BCa",
                              n_resamples=2000, rng=np.random.default_rng(seed))
        low, high = res.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            return Interval(mean, float(low), float(high), n, "bootstrap")
        use = "t"  # BCa undefined (e.g. too few distinct values): fall back to t
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n, "t")


def scenario_table(results: pd.DataFrame, outcomes: list[str], baseline: str,
                   method: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Per lender, scenario and outcome: the mean with its interval and, against the
    baseline, the paired difference with its interval.

    Runs are paired on ``(point, replicate)``: the same seed (and design point) in both
    scenarios. Returns one row per (lender, scenario, outcome).
    """
    rows = []
    keys = ["point", "replicate"]
    for lender, by_lender in results.groupby("lender", sort=False):
        base = by_lender[by_lender["scenario"] == baseline].set_index(keys)
        for scenario, group in by_lender.groupby("scenario", sort=False):
            group = group.set_index(keys)
            for outcome in outcomes:
                level = interval(group[outcome].to_numpy(), method, seed)
                row = {"lender": lender, "scenario": scenario, "outcome": outcome,
                       "mean": level.mean, "low": level.low, "high": level.high,
                       "n": level.n, "method": level.method}
                if scenario != baseline and not base.empty:
                    paired = group[outcome].sub(base[outcome]).dropna()
                    diff = interval(paired.to_numpy(), method, seed)
                    row.update(diff=diff.mean, diff_low=diff.low, diff_high=diff.high,
                               diff_n=diff.n, diff_method=diff.method)
                rows.append(row)
    return pd.DataFrame(rows)


def fmt(value: float) -> str:
    """A number for a report: 4 decimals below 1, 2 below 100, then whole numbers."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) < 1:
        return f"{value:,.4f}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def cell(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``."""
    if not np.isfinite(low):
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def comparison_markdown(table: pd.DataFrame, outcomes: list[str], baseline: str) -> str:
    """Markdown tables: per lender, each scenario's means with 95 % intervals, then the
    paired differences to the baseline (bold when the interval excludes 0). A ``unit``
    column in ``table`` puts each outcome's unit in the headers (``profit (yuan)``).
    """
    units = _units(table)
    header = "| scenario | " + " | ".join(
        f"{k} ({units[k]})" if units.get(k) else k for k in outcomes) + " |"
    parts = []
    for lender, group in table.groupby("lender", sort=False):
        scenarios = list(dict.fromkeys(group["scenario"]))
        by = group.set_index(["scenario", "outcome"])
        parts += [f"### {lender}", "", "Mean [95 % interval] over replicates:", "",
                  header, "|---" * (len(outcomes) + 1) + "|"]
        for s in scenarios:
            cells = [cell(*by.loc[(s, k), ["mean", "low", "high"]]) for k in outcomes]
            parts.append(f"| {s} | " + " | ".join(cells) + " |")
        others = [s for s in scenarios if s != baseline]
        if others and "diff" in group:
            parts += ["", f"Paired difference to `{baseline}` [95 % interval]:", "",
                      header, "|---" * (len(outcomes) + 1) + "|"]
            for s in others:
                cells = []
                for k in outcomes:
                    d, lo, hi = by.loc[(s, k), ["diff", "diff_low", "diff_high"]]
                    text = cell(d, lo, hi)
                    cells.append(f"**{text}**" if lo > 0 or hi < 0 else text)
                parts.append(f"| {s} | " + " | ".join(cells) + " |")
        methods = sorted(set(group["method"]) | set(group.get("diff_method", pd.Series())
                                                    .dropna()))
        parts += ["", f"Intervals: {', '.join(methods)}.", ""]
    return "\n".join(parts)


def _units(table: pd.DataFrame) -> dict[str, str]:
    """Outcome -> its unit, from the table's ``unit`` column (none: no units)."""
    if "unit" not in table:
        return {}
    rows = table.dropna(subset=["unit"]).drop_duplicates("outcome")
    return dict(zip(rows["outcome"], rows["unit"], strict=True))
