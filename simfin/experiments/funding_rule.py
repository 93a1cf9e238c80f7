"""Does a funding rule cut a capital-bound lender's volume? Preconditions, then direction.

An experiment compares a market without a rule (its first scenario) with the same market
in which the regulator changes a funding lever on a given day (``policy.schedule``: a
minimum own share of co-funded loans, ``policy.min_own_share``, or a funding cap,
``policy.max_funding_multiple``), on common seeds
(``experiments/own_share_rule.yaml``). A lower volume after the day is the rule's effect
only if the rule applied and the lender's capital bound: so the report first counts, per
scenario, the runs in which every scheduled change applied and the lender was stopped by
its funding cap (a ``capital_event`` ``lending_stopped`` for borrowed funding over the
cap) on or after the day, then gives each outcome's mean and paired difference for the
lender, its funding partner and the market, and the verdict.

``python -m simfin.experiments.funding_rule`` runs such an experiment and with
``--readme`` rewrites its measured block.
"""

from __future__ import annotations

import sys

import pandas as pd

from simfin.config import ConfigError
from simfin.experiments.analysis import cell, fmt, interval
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.industry import paired, series
from simfin.experiments.measured_command import Analysis, parser, run_analysis

CAP_REASON = "borrowed funding"
"""How a funding-cap stop's reason begins (``simfin.agents.conduct``)."""


def bound_runs(events: pd.DataFrame, lender: str) -> pd.DataFrame:
    """Per run: whether every scheduled change applied, the first day one applied, and the
    funding-cap stops of ``lender`` on or after it (count and first day).
    """
    rows = []
    for run, ev in events.groupby("run", sort=False):
        scheduled = ev[ev["kind"] == "policy_scheduled"]
        applied = ev[ev["kind"] == "policy_applied"]
        day = applied["day"].min() if len(applied) else None
        stops = ev[(ev["kind"] == "capital_event") & (ev["lender"] == lender)
                   & (ev["code"] == "lending_stopped")
                   & ev["detail"].fillna("").str.startswith(CAP_REASON)]
        if day is not None:
            stops = stops[stops["day"] >= day]
        rows.append({"run": run, "scenario": ev["scenario"].iloc[0],
                     "scheduled": len(scheduled), "applied": len(applied), "day": day,
                     "stops": len(stops),
                     "first_stop": stops["day"].min() if len(stops) else None})
    return pd.DataFrame(rows)


def rule_report(result: ExperimentResult, experiment: ExperimentConfig, lender: str,
                partner: str) -> str:
    """The Markdown of the comparison: preconditions per scenario, then each outcome's
    means and paired difference to the first scenario, and the verdict on the first
    outcome (the volume).

    Raises:
        ConfigError: No results for ``lender`` or ``partner``.
    """
    results = result.results
    names = set(results["lender"]) if len(results) else set()
    for name in (lender, partner):
        if name not in names:
            raise ConfigError(f"--lender/--partner: no results for lender {name!r}")
    scenarios = list(experiment.scenarios)
    base, others = scenarios[0], scenarios[1:]
    method, seed = experiment.interval, result.plan.analysis_seed
    events = result.events if result.events is not None else pd.DataFrame()
    runs = bound_runs(events, lender) if len(events) else pd.DataFrame()
    lines = [f"`{lender}` (funded by `{partner}`); {len(results[results['lender'] == lender])}"
             f" runs ({len(scenarios)} scenarios x seeds {result.plan.seeds}).", "",
             "Preconditions: runs whose scheduled changes all applied, and in which "
             f"`{lender}`'s funding cap stopped its lending on or after the day:", "",
             "| scenario | changes applied | funding cap bound | stops per run | first stop "
             "(day) |", "|---|---|---|---|---|"]
    bound: dict[str, bool] = {}
    for s in scenarios:
        mine = runs[runs["scenario"] == s] if len(runs) else runs
        n = len(mine)
        applied = int((mine["applied"] == mine["scheduled"]).sum()) if n else 0
        hit = int((mine["stops"] > 0).sum()) if n else 0
        bound[s] = n > 0 and hit == n and applied == n
        first = mine["first_stop"].dropna() if n else pd.Series(dtype=float)
        planned = f"{applied} of {n}" if n and mine["scheduled"].any() else "none scheduled"
        lines.append(f"| {s} | {planned} | {hit} of {n} | "
                     f"{fmt(mine['stops'].mean()) if n else 'n/a'} | "
                     f"{f'{fmt(first.min())}-{fmt(first.max())}' if len(first) else 'none'}"
                     " |")
    if result.failures:
        lines += ["", f"**{len(result.failures)} runs failed** and are left out."]
    outcomes = list(experiment.outcomes)
    lines += ["", "Mean [95 % interval] over seeds; paired difference to "
              f"`{base}` (seeds on which it was higher), bold when the interval excludes 0:",
              "", "| lender | outcome | " + " | ".join(f"`{s}`" for s in scenarios) + " | "
              + " | ".join(f"`{s}` - `{base}`" for s in others) + " |",
              "|---" * (2 + len(scenarios) + len(others)) + "|"]
    for name in (lender, partner, "market"):
        if name not in names:
            continue
        for o in outcomes:
            means = [interval(series(results, s, name, o).to_numpy(), method, seed)
                     for s in scenarios]
            lines.append(f"| {name} | {o} | "
                         + " | ".join(cell(m.mean, m.low, m.high) for m in means) + " | "
                         + " | ".join(paired(results, s, base, name, o, method, seed)
                                      for s in others) + " |")
    volume = outcomes[0]
    lines.append("")
    for s in others:
        gap = series(results, s, lender, volume).sub(series(results, base, lender, volume))
        g = interval(gap.dropna().to_numpy(), method, seed)
        if not bound[s]:
            lines.append(f"Verdict (`{s}`): not judged: the precondition (the rule applied "
                         f"and `{lender}`'s funding cap bound) failed in some run.")
            continue
        word = ("cut" if g.high < 0 else "raised" if g.low > 0 else "did not move "
                "resolvably")
        lines.append(f"Verdict (`{s}`): with its funding cap binding in every run, the "
                     f"rule {word} `{lender}`'s `{volume}` ({cell(g.mean, g.low, g.high)}, "
                     f"lower on {int((gap < 0).sum())} of {int(gap.notna().sum())} seeds).")
    return "\n".join(lines)


def _parser():
    out = parser(__doc__.splitlines()[0], "An experiment whose scenarios change a funding "
                 "lever on a day.")
    out.add_argument("--partner", default="bank", help="The lender's funding partner "
                     "(default: bank).")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the experiment, print the report, rewrite the README block.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, nothing rewritten).
    """
    args = _parser().parse_args(argv)

    def check(experiment: ExperimentConfig, _config: object) -> None:
        if len(experiment.scenarios) < 2:
            raise ConfigError(f"scenarios: {experiment.name} needs a scenario without the "
                              "rule and one with it")

    def report(result: ExperimentResult, experiment: ExperimentConfig, _: None
               ) -> tuple[str, None]:
        return rule_report(result, experiment, args.lender, args.partner), None

    return run_analysis(args, argv, "simfin.experiments.funding_rule",
                        Analysis("funding_rule", "Funding rule", check, report))


if __name__ == "__main__":
    sys.exit(main())
