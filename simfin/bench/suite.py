"""``simfin bench``: the benchmark figures, each next to a reference measured in the same
run, with the ratio and the target.

    simfin bench --size large                    # the reference machine's table
    python -m simfin.bench --size large --plot tests/benchmarks/scaling.png
    python -m simfin.bench --profile 1000000      # where a 1M-consumer day goes

The measurements live in :mod:`simfin.bench.timings`; the pytest-benchmark suite in
``tests/benchmarks/`` times the same calls.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simfin.bench import timings as ms


@dataclass(frozen=True)
class Size:
    """How big each measurement is at one size of the suite."""

    decision_rows: int
    reference_rows: int
    rounds: int
    market: tuple[int, ...]  # consumers of each market run (the last is "the year")
    market_days: int
    plain: tuple[int, int]  # consumers, days of the plain-Mesa reference
    creation: int
    agent_collection: int  # consumers of the Mesa DataCollector reference
    scale: tuple[int, int] = (20_000, 5)  # consumers, days of the peak-memory runs


SIZES = {
    "tiny": Size(2_000, 100, 1, (1_000,), 5, (1_000, 2), 1_000, 1_000),
    "small": Size(100_000, 1_000, 3, (10_000, 30_000, 100_000), 365, (10_000, 5), 100_000,
                  10_000, (1_000_000, 30)),
    "large": Size(1_000_000, 3_000, 5, (10_000, 30_000, 100_000, 300_000, 1_000_000), 365,
                  (100_000, 10), 1_000_000, 100_000, (10_000_000, 30)),
}


@dataclass
class Row:
    """One line of the table."""

    figure: str
    value: str
    reference: str
    ratio: str
    target: str
    met: bool | None


def _rate(x: float) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} "


def decision_rows(size: Size, progress: Callable[[str], None] = print) -> list[Row]:
    """Decision throughput: logistic pipeline vs the bare score and the per-application
    reference; the gradient-boosted pipeline.
    """
    n = size.decision_rows
    progress(f"decisions: {n:,} applications, logistic")
    lender, batch = ms.decision_setup(n, "logistic")
    one = ms.time_pipeline(lender, batch, size.rounds)
    two = ms.time_pipeline(lender, batch, size.rounds, threads=2)
    floor = ms.time_score_floor(batch, size.rounds)
    per_app = ms.time_reference(lender, batch, size.reference_rows)
    progress(f"decisions: {n:,} applications, gbm")
    gbm_lender, gbm_batch = ms.decision_setup(n, "gbm")
    gbm = ms.time_pipeline(gbm_lender, gbm_batch, size.rounds, threads=2)
    full = n >= 1_000_000  # the targets are for a 1M batch
    return [
        Row(f"logistic pipeline, {n:,} batch, 2 threads", f"{_rate(n / two)}decisions/s",
            f"bare X @ w: {_rate(n / floor)}rows/s", f"{floor / two:.1%} of floor",
            ">= 15 M/s, >= 10 % of floor at 1M",
            n / two >= 15e6 and floor / two >= 0.1 if full else None),
        Row(f"logistic pipeline, {n:,} batch, 1 thread", f"{_rate(n / one)}decisions/s",
            f"per-application: {_rate(1 / per_app)}decisions/s", f"{per_app * n / one:,.0f}x",
            ">= 50x", per_app * n / one >= 50),
        Row(f"GBM pipeline ({type(gbm_lender.pipeline["scoring"].estimator_).__name__}), "
            f"{n:,} batch, 2 threads", f"{_rate(n / gbm)}decisions/s",
            f"logistic pipeline: {_rate(n / two)}decisions/s", f"{two / gbm:.2f}x",
            ">= 1 M/s at 1M", n / gbm >= 1e6 if full else None),
    ]


def market_rows(size: Size, progress: Callable[[str], None] = print
                ) -> tuple[list[Row], list[dict]]:
    """Market step throughput per size, the plain-Mesa reference, the year, memory,
    creation and collection. Also returns the runs (for the plot).
    """
    runs = []
    for n in size.market:
        progress(f"market: {n:,} consumers, {size.market_days} days (own process)")
        runs.append(ms.market_in_child(n, size.market_days))
    n_plain, plain_days = size.plain
    progress(f"plain Mesa: {n_plain:,} consumers, {plain_days} days")
    plain = ms.time_plain_market(n_plain, plain_days)
    rows = []
    for run in runs:
        step = np.array(run["step"])
        cd = run["consumers"] * run["days"] / step.sum()
        if run["consumers"] == n_plain:
            ours = n_plain * plain_days / step[:plain_days].sum()
            theirs = n_plain * plain_days / sum(plain["step"])
            rows.append(Row(f"market step, {n_plain:,} consumers, days 1-{plain_days}",
                            f"{_rate(ours)}consumer-days/s",
                            f"plain Mesa shuffle_do: {_rate(theirs)}consumer-days/s",
                            f"{ours / theirs:,.0f}x", ">= 40x at 100k",
                            ours / theirs >= 40 if n_plain >= 100_000 else None))
        rows.append(Row(f"market step, {run['consumers']:,} consumers, {run['days']} days",
                        f"{_rate(cd)}consumer-days/s",
                        f"mean day {step.mean() * 1e3:.1f} ms (CPU "
                        f"{run['cpu'] / run['days'] * 1e3:.1f} ms), last 30 days "
                        f"{step[-30:].mean() * 1e3:.1f} ms; first use "
                        f"{run['first_use']:.2f} s apart", "",
                        ">= 20 M/s, day <= 50 ms at 1M" if run["consumers"] >= 1e6 else "",
                        (cd >= 20e6 and step.mean() <= 0.05) if run["consumers"] >= 1e6
                        else None))
    year = runs[-1]
    n = year["consumers"]
    total = year["create"] + year["first_use"] + sum(year["step"])
    rows.append(Row(f"{n:,} consumers x {year['days']} days, 3 lenders (creation "
                    f"{year['create']:.1f} s, first use {year['first_use']:.1f} s, days "
                    f"{sum(year['step']):.1f} s)", f"{total:.1f} s",
                    f"plain Mesa, extrapolated: {_extrapolate(plain, n_plain, n, year):.0f} s",
                    "", "<= 60 s at 1M x 365", total <= 60 if n >= 1e6 else None))
    progress(f"market: {n:,} consumers, {size.market_days} days, macro path severe "
             "(own process)")
    rows.append(_macro_year_row(ms.market_in_child(n, size.market_days, "severe"), total))
    parts = year["bytes"]
    per = sum(parts.values()) / n
    plain_bytes = ms.plain_agent_bytes(min(n_plain, 5_000))
    detail = ", ".join(f"{k} {v / n:.0f}" for k, v in parts.items())
    rows.append(Row(f"bytes per consumer ({detail})", f"{per:.0f} B",
                    f"plain Mesa agent: {plain_bytes} B + loans", f"{plain_bytes / per:.1f}x",
                    "<= 500 B", per <= 500))
    rows.append(Row(f"peak RSS, {n:,} consumers x {year['days']} days",
                    f"{year['maxrss'] / 2**20:,.0f} MB", "", "", "< 2 GB at 1M",
                    year["maxrss"] < 2 * 2**30 if n >= 1e6 else None))
    progress(f"creation: {size.creation:,} consumers")
    create = ms.time_creation(size.creation, size.rounds)
    plain_create = plain["create"] / n_plain * size.creation
    rows.append(Row(f"create {size.creation:,} consumers", f"{create:.3f} s",
                    f"plain Mesa agents: {plain_create:.1f} s (extrapolated)",
                    f"{plain_create / create:,.0f}x", "<= 1 s at 1M",
                    create <= 1 if size.creation >= 1e6 else None))
    progress(f"collection: Mesa agent reporters on {size.agent_collection:,} consumers")
    agents = ms.time_agent_collection(size.agent_collection) / size.agent_collection * n
    collect = float(np.mean(year["collect"][-30:]))
    rows.append(Row(f"a day's collection, {n:,} consumers", f"{collect * 1e3:.2f} ms",
                    f"Mesa agent reporters: {agents * 1e3:,.0f} ms (extrapolated)",
                    f"{agents / collect:,.0f}x", "<= 10 ms at 1M",
                    collect <= 0.01 if n >= 1e6 else None))
    return rows, runs


def _macro_year_row(run: dict, steady_s: float) -> Row:
    """The year again with the ``severe`` path from day 0: more shocks, delinquency and
    provisions (the allowance is computed every day in both runs).
    """
    n = run["consumers"]
    total = run["create"] + run["first_use"] + sum(run["step"])
    return Row(f"{n:,} consumers x {run['days']} days, macro.scenario severe (mean day "
               f"{np.mean(run['step']) * 1e3:.1f} ms)", f"{total:.1f} s",
               f"steady path: {steady_s:.1f} s", f"{total / steady_s:.2f}x",
               "<= 60 s at 1M x 365", total <= 60 if n >= 1e6 else None)


def _extrapolate(plain: dict, n_plain: int, n: int, year: dict) -> float:
    """The plain model's seconds for the year at ``n`` consumers, from its days 1-k and
    simfin's own growth over the year (plain Mesa's cost grows with the book as ours does).
    """
    k = len(plain["step"])
    growth = sum(year["step"]) / sum(year["step"][:k]) if sum(year["step"][:k]) else 1
    return sum(plain["step"]) * n / n_plain * growth


def table(rows: list[Row], size: str) -> str:
    """The rows as a Markdown table."""
    lines = [f"| figure ({size}) | value | reference (same run) | ratio | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.figure} | {r.value} | {r.reference} | {r.ratio} | {r.target} "
                     f"| {met} |")
    return "\n".join(lines)


def plot(runs: list[dict], path: str) -> None:
    """Log-log plot of run time against consumers: the measured runs, the fitted
    ``a + b * consumers`` (a fixed cost per day plus a cost per consumer-day) and a
    slope-1 (linear) guide.
    """
    from matplotlib.figure import Figure

    n = np.array([r["consumers"] for r in runs], dtype=float)
    seconds = np.array([sum(r["step"]) for r in runs])
    b, a = np.polyfit(n, seconds, 1, w=1 / seconds)  # relative errors: every size counts
    grid = np.geomspace(n.min(), n.max(), 50)
    days = runs[0]["days"]
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    ax.loglog(n, seconds, "o", ms=7, label=f"simfin, {days} days, 3 lenders (measured)")
    ax.loglog(grid, a + b * grid, "-", label=f"{a / days * 1e3:.1f} ms/day + "
              f"{b / days * 1e9:.0f} ns per consumer-day")
    ax.loglog(grid, seconds[-1] * grid / n[-1], "--", color="grey", label="linear (slope 1)")
    ax.set_xlabel("consumers")
    ax.set_ylabel(f"run time of {days} days (s)")
    ax.set_title("Market run time against consumers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def profile_day(n_consumers: int, warm_days: int = 330, days: int = 30) -> str:
    """A pyinstrument profile of ``days`` market days at ``n_consumers`` after
    ``warm_days`` days (the book then holds a realistic number of loans).
    """
    from pyinstrument import Profiler

    from simfin.model import MarketModel

    model = MarketModel(ms.bench_config(n_consumers, warm_days + days))
    for _ in range(warm_days):
        model.step()
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(days):
        model.step()
    profiler.stop()
    return profiler.output_text(unicode=False, color=False)


def run(size: str = "small", plot_path: str | None = None,
        progress: Callable[[str], None] = print) -> str:
    """Every measurement at a size; returns the Markdown table."""
    spec = SIZES[size]
    rows = decision_rows(spec, progress)
    more, runs = market_rows(spec, progress)
    if plot_path:
        plot(runs, plot_path)
    return table(rows + more, size)


def main(argv: list[str] | None = None) -> None:
    """``python -m simfin.bench``."""
    parser = argparse.ArgumentParser(prog="python -m simfin.bench")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--plot", help="write the log-log scaling plot (PNG) here")
    parser.add_argument("--profile", type=int, metavar="CONSUMERS",
                        help="print a profile of days 331-360 of a market instead")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile_day(args.profile))
        return
    print(run(args.size, args.plot))


if __name__ == "__main__":
    main()
