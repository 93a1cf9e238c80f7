"""The industry's roles over the loans' lives: who profits, and the capital a loan takes.

An experiment of the default market with a run-off (``run.runoff_days``: every loan ends
inside the run, so ``profit`` is each lender's lifetime profit) compares scenarios on
common seeds, e.g. co-lending against the platform funding alone
(``experiments/industry_lifetime.yaml``). This module reports, per lender, each
scenario's lifetime profit and the paired difference, and the platform's **capital per
loan booked**:

    capital per loan = min capital ratio x risk weight x peak own-book outstanding / loans

The peak is the equity the lender must hold never to fall below the minimum ratio on any
day of its lending: a lender with less breaches on its peak day. The own-book outstanding
(``peak_outstanding``) is its exposure when every partner's share either shares the loss
pro rata or bears it (``credit_risk: pro_rata | partner``); a platform that guarantees its
partners' shares bears their loss too, so the measure is refused for one (its exposure
would be understated). The ratio defaults to 10.5 % (8 % plus the 2.5 % conservation
buffer of China's capital rules, configs/calibration.md) at a 100 % risk weight.

``python -m simfin.experiments.industry`` runs such an experiment (resumable, any
executor) and with ``--readme`` rewrites its measured block, verdict included: is the
bank profitable, is the platform's capital per loan lower co-funded, and which lender
loses over its loans' lives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.config import ConfigError, load_config
from simfin.experiments.analysis import cell, fmt, interval
from simfin.experiments.design import ExperimentConfig
from simfin.experiments.execution import ExperimentResult
from simfin.experiments.measured_command import Analysis, parser, run_analysis

KEYS = ["point", "replicate"]
NEEDED = ("profit", "loans", "peak_outstanding")
"""Outcomes the report reads (the experiment must list them)."""


def series(results: pd.DataFrame, scenario: str, lender: str, outcome: str) -> pd.Series:
    """One scenario's ``outcome`` of ``lender``, one value per (point, replicate)."""
    rows = results[(results["scenario"] == scenario) & (results["lender"] == lender)]
    return rows.set_index(KEYS)[outcome].astype(float)


def capital_per_loan(results: pd.DataFrame, scenario: str, lender: str, ratio: float,
                     risk_weight: float) -> pd.Series:
    """Per seed, ``ratio x risk_weight x peak_outstanding / loans`` (yuan; NaN without
    loans).
    """
    peak = series(results, scenario, lender, "peak_outstanding")
    loans = series(results, scenario, lender, "loans").replace(0, np.nan)
    return ratio * risk_weight * peak / loans


def check_exposure(config_path: Path, experiment: ExperimentConfig, lender: str) -> None:
    """Refuse a scenario in which ``lender`` guarantees a partner's share (its own book
    then understates the loss it bears, so its capital per loan would be too low).

    Raises:
        ConfigError: One line naming the scenario and the partner.
    """
    for name, overrides in experiment.scenarios.items():
        config = load_config(config_path, {**experiment.overrides, **overrides})
        for lc in config.lenders:
            for i, partner in enumerate(lc.funding.partners if lc.name == lender else []):
                if partner.credit_risk == "guarantee":
                    raise ConfigError(f"scenarios.{name}: lenders: {lender}.funding."
                                      f"partners.{i}.credit_risk: guarantee: the capital "
                                      "per loan counts the own book only, and a guaranteed "
                                      "share is exposure too")


def paired(results: pd.DataFrame, a: str, b: str, lender: str, outcome: str,
           method: str, seed: int) -> str:
    """``a - b`` of ``lender``'s ``outcome`` seed by seed: mean [95 % interval] (seeds on
    which a was higher), bold when the interval excludes 0.
    """
    gap = series(results, a, lender, outcome).sub(series(results, b, lender, outcome))
    iv = interval(gap.dropna().to_numpy(), method, seed)
    text = f"{cell(iv.mean, iv.low, iv.high)} ({int((gap > 0).sum())}/{int(gap.notna().sum())})"
    return f"**{text}**" if iv.excludes_zero() else text


def industry_report(result: ExperimentResult, experiment: ExperimentConfig, lender: str,
                    bank: str, ratio: float, risk_weight: float) -> str:
    """The Markdown of the comparison: preconditions, each lender's lifetime profit per
    scenario with the paired difference to the first scenario, ``lender``'s capital per
    loan booked, and the verdict.

    Raises:
        ConfigError: An outcome the report needs is missing, or no results for a lender.
    """
    for name in NEEDED:
        if name not in experiment.outcomes:
            raise ConfigError(f"outcomes: {experiment.name} must list {name!r} (the "
                              f"report reads {', '.join(NEEDED)})")
    results = result.results
    scenarios = list(experiment.scenarios)
    base, others = scenarios[0], scenarios[1:]
    lenders = [n for n in dict.fromkeys(results["lender"]) if n != "market"] \
        if len(results) else []
    for name in (lender, bank):
        if name not in lenders:
            raise ConfigError(f"--lender/--bank: no results for lender {name!r}")
    method, seed = experiment.interval, result.plan.analysis_seed
    events = result.events if result.events is not None else pd.DataFrame()
    unfinished = (int((events["code"] == "runoff_unfinished").sum())
                  if len(events) and "code" in events else 0)
    fewest = {n: fmt(results.loc[results["lender"] == n, "loans"].min()) for n in lenders}
    lines = [f"{len(results[results['lender'] == lender])} runs ({len(scenarios)} scenarios "
             f"x seeds {result.plan.seeds}), {experiment.overrides.get('run.runoff_days', 0)}"
             f" days of run-off. Preconditions: fewest loans in a run "
             + ", ".join(f"{n} {v}" for n, v in fewest.items())
             + f"; run-offs unfinished (`runoff_unfinished` warnings): {unfinished}."]
    partner_col = "co_lending.funded_by_partners"
    if partner_col in results:
        for s in scenarios:
            share = (series(results, s, lender, partner_col)
                     / series(results, s, lender, "disbursed"))
            if share.notna().any():
                lines += ["", f"Share of {lender}'s principal funded by partners in `{s}`: "
                          f"{fmt(share.min())}-{fmt(share.max())}."]
    if result.failures:
        lines.append(f"**{len(result.failures)} runs failed** and are left out.")
    lines += ["", "Lifetime profit (yuan), mean [95 % interval] over seeds; paired "
              f"difference to `{base}` (seeds on which it was higher):", "",
              "| lender | " + " | ".join(f"`{s}`" for s in scenarios) + " | "
              + " | ".join(f"`{s}` - `{base}`" for s in others) + " |",
              "|---" * (1 + len(scenarios) + len(others)) + "|"]
    for name in [*lenders, "market"]:
        if name not in set(results["lender"]):
            continue
        means = [interval(series(results, s, name, "profit").to_numpy(), method, seed)
                 for s in scenarios]
        lines.append(f"| {name} | " + " | ".join(cell(m.mean, m.low, m.high) for m in means)
                     + " | " + " | ".join(paired(results, s, base, name, "profit", method,
                                                  seed) for s in others) + " |")
    capital = {s: capital_per_loan(results, s, lender, ratio, risk_weight) for s in scenarios}
    lines += ["", f"`{lender}`'s capital per loan booked = {ratio:g} x {risk_weight:g} x "
              "peak own-book outstanding / loans booked (yuan):", "",
              "| scenario | peak outstanding | loans | capital per loan |", "|---|---|---|---|"]
    for s in scenarios:
        cells = [interval(v.to_numpy(), method, seed) for v in (
            series(results, s, lender, "peak_outstanding"),
            series(results, s, lender, "loans"), capital[s])]
        lines.append(f"| {s} | " + " | ".join(cell(c.mean, c.low, c.high) for c in cells)
                     + " |")
    bank_profit = series(results, base, bank, "profit")
    iv = interval(bank_profit.to_numpy(), method, seed)
    verdict = ["", f"Verdict (`{base}`): the {bank} is "
               + ("profitable" if iv.low > 0 else "not shown profitable" if iv.mean > 0
                  else "not profitable")
               + f" over its loans' lives (RMB {fmt(iv.mean)}, {int((bank_profit > 0).sum())}"
               f" of {len(bank_profit)} seeds positive)."]
    for s in others:
        gap = (capital[base] - capital[s]).dropna()
        g = interval(gap.to_numpy(), method, seed)
        word = "lower" if g.high < 0 else "higher" if g.low > 0 else "not resolved"
        verdict.append(f"`{lender}`'s capital per loan in `{base}` against `{s}`: {word} "
                       f"(RMB {cell(g.mean, g.low, g.high)} a loan, lower on "
                       f"{int((gap < 0).sum())} of {len(gap)} seeds).")
    losers = []
    for name in lenders:
        p = interval(series(results, base, name, "profit").to_numpy(), method, seed)
        if p.mean < 0:
            losers.append(f"{name} (RMB {cell(p.mean, p.low, p.high)})")
    verdict.append("Lenders that lose over their loans' lives: "
                   + (", ".join(losers) if losers else "none") + ".")
    return "\n".join(lines + verdict)


def _parser():
    out = parser(__doc__.splitlines()[0], "An experiment file with a run-off.")
    out.add_argument("--bank", default="bank", help="The funding partner whose lifetime "
                     "profit the verdict reads (default: bank).")
    out.add_argument("--capital-ratio", type=float, default=0.105, help="Minimum capital "
                     "ratio of the capital per loan (default 0.105).")
    out.add_argument("--risk-weight", type=float, default=1.0, help="Risk weight of a "
                     "consumer loan (default 1.0).")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the experiment, print the report, rewrite the README block.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, nothing rewritten).
    """
    args = _parser().parse_args(argv)

    def check(experiment: ExperimentConfig, config: object) -> None:
        if not 0 < args.capital_ratio <= 10 or not 0 < args.risk_weight <= 12.5:
            raise ConfigError("--capital-ratio must be in (0, 10] and --risk-weight in "
                              "(0, 12.5]")
        check_exposure(config, experiment, args.lender)
        for name in NEEDED:  # before the runs, not after
            if name not in experiment.outcomes:
                raise ConfigError(f"outcomes: {experiment.name} must list {name!r} (the "
                                  f"report reads {', '.join(NEEDED)})")

    def report(result: ExperimentResult, experiment: ExperimentConfig, _: None
               ) -> tuple[str, None]:
        return industry_report(result, experiment, args.lender, args.bank,
                               args.capital_ratio, args.risk_weight), None

    return run_analysis(args, argv, "simfin.experiments.industry",
                        Analysis("industry", "Roles over the loans' lives", check, report))


if __name__ == "__main__":
    sys.exit(main())
