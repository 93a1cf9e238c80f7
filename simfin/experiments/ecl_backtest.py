"""Back-testing the IFRS 9 allowance: is the allowance at day D the losses it anticipates?

At the end of day D each lender holds an allowance for the expected credit losses of the
loans then on its book (:mod:`simfin.lending.provisions`), by stage. The back-test runs the
same model on to its end (the rest of its lending and its run-off, ``run.runoff_days``) and
measures what those loans, and only those, then lost: the principal written off net of
recoveries, loan by loan (a written-off loan's principal is its balance the evening before
its write-off: a delinquent loan pays nothing until it cures; its recovery is
``round(principal x run.recovery_rate)``, as servicing posts it). Both are grouped by
lender and by the stage each loan was in at D. With funding partners each loan's balance,
principal written off and recovery are split among the parties that bear its loss, by
their parts (:meth:`CoLending.bearers`, the split the ledger's write-offs use): a lender's
rows count the parts it bears, as its allowance does. The part of stage 1's allowance held for
undrawn revolving limits (``credit_conversion_factor`` x undrawn x ``pd_12m`` x ``lgd``)
is reported apart: it anticipates draws not yet made, not the loans on book.

A run without a run-off long enough for the loans open at D to end leaves some unresolved:
their count and balance are reported (``unresolved_*``), and their losses are missing.

``python -m simfin.experiments.ecl_backtest FILE --day D`` back-tests every run of an
experiment file (each scenario and seed) for one lender and prints, per scenario and
stage, the mean allowance against the mean realised losses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.config import ConfigError, MarketConfig, load_config
from simfin.experiments.design import load_experiment
from simfin.experiments.measured_command import REFUSED, refuse
from simfin.lending.loan_book import ACTIVE, WRITTEN_OFF
from simfin.lending.provisions import STAGE3_DPD

STAGES = (1, 2, 3)
BACKTEST_COLUMNS = ("lender", "stage", "loans", "balance_cents", "allowance_cents",
                    "realised_loss_cents", "written_off_loans", "unresolved_loans",
                    "unresolved_cents")
"""The rows of :func:`backtest_allowance`: one per lender and stage (1-3)."""


def loan_stages(book, rows: np.ndarray, day: int, stage2_dpd: int) -> np.ndarray:
    """Each row's IFRS 9 stage (1-3) at the end of ``day``, as the provisions count it:
    stage 3 at 90+ days past due or defaulted and still past due, stage 2 from
    ``stage2_dpd`` days past due, else stage 1 (days past due are 1 on the day of a miss).
    """
    overdue = book.column("overdue_since_day").take(rows).astype(np.int64)
    dpd = np.where(overdue >= 0, day - overdue + 1, 0)
    impaired = (overdue >= 0) & ((dpd >= STAGE3_DPD) | book.column("defaulted").take(rows))
    return np.where(impaired, 3, np.where(dpd >= stage2_dpd, 2, 1)).astype(np.int8)


def backtest_allowance(config: MarketConfig, day: int) -> pd.DataFrame:
    """Run ``config`` to its end and set each lender's allowance at the end of ``day``
    against the realised net credit losses of the loans open then whose loss it bears (its
    parts of co-funded loans), by stage.

    Args:
        config: The market; it must run past ``day`` (``run.steps + run.runoff_days``),
            and long enough after it for the loans open at ``day`` to end.
        day: The day (0-based) whose closing allowance is tested.

    Returns:
        :data:`BACKTEST_COLUMNS`, money in cents (a co-funded loan counts in the ``loans``
        of each party bearing a part, and its cents by their parts); ``allowance_cents``
        of stage 1 without
        the undrawn limits' part, which is in ``attrs["undrawn_allowance_cents"]`` (per
        lender); ``attrs["net_write_offs_after_cents"]``: each lender's write-offs net of
        recoveries after ``day`` on every loan (the loans booked after it too: with no
        lending after ``day`` they are the realised losses' sum).

    Raises:
        ValueError: ``day`` is not a day the run reaches before its last.
    """
    from simfin.model import MarketModel  # the experiments wing uses the model

    total = config.run.total_days
    if not 0 <= day < total - 1:
        raise ValueError(f"day: must be from 0 to {total - 2} (the run has {total} days), "
                         f"got {day}")
    model = MarketModel(config)
    while model.day <= day:
        model.step()
    book = model.book
    rows = book.active_rows().copy()
    stage = loan_stages(book, rows, day, config.provisions.stage2_dpd)
    balance = book.column("outstanding_cents").take(rows).copy()
    at_day = model.recorder.steps_frame()
    at_day = at_day[at_day["day"] == day].reset_index(drop=True)
    undrawn = (config.provisions.credit_conversion_factor * at_day["undrawn_limit"]
               * at_day["pd_12m"] * at_day["lgd"]).to_numpy()
    last = balance.copy()  # each loan's balance the evening before it ends
    while model.running:
        model.step()
        status = book.column("status").take(rows)
        last = np.where(status == ACTIVE, book.column("outstanding_cents").take(rows), last)
    status = book.column("status").take(rows)
    recovered = np.round(last * config.run.recovery_rate).astype(np.int64)
    at, lender, balance, last, recovered = _borne_parts(model, rows, balance, last, recovered)
    stage, status = stage.take(at), status.take(at)
    written = status == WRITTEN_OFF
    loss = np.where(written, last - recovered, 0)
    unresolved = status == ACTIVE
    out = []
    for i, name in enumerate(at_day["lender"]):
        for s in STAGES:
            mine = (lender == i) & (stage == s)
            allowance = float(at_day.loc[i, f"stage{s}_allowance"]) - (undrawn[i] if s == 1
                                                                        else 0.0)
            out.append({"lender": name, "stage": s, "loans": int(mine.sum()),
                        "balance_cents": int(balance[mine].sum()),
                        "allowance_cents": round(allowance),
                        "realised_loss_cents": int(loss[mine].sum()),
                        "written_off_loans": int((mine & written).sum()),
                        "unresolved_loans": int((mine & unresolved).sum()),
                        "unresolved_cents": int(last[mine & unresolved].sum())})
    frame = pd.DataFrame(out, columns=list(BACKTEST_COLUMNS))
    steps = model.recorder.steps_frame()
    after = steps[steps["day"] > day].groupby("lender", observed=True, sort=False)
    net = after["written_off"].sum() - after["recoveries"].sum()
    frame.attrs["undrawn_allowance_cents"] = {
        name: round(value) for name, value in zip(at_day["lender"], undrawn, strict=True)}
    frame.attrs["net_write_offs_after_cents"] = {name: int(net.get(name, 0))
                                                 for name in at_day["lender"]}
    return frame


def _borne_parts(model, rows: np.ndarray, *cents: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, *tuple[np.ndarray, ...]]:
    """Each part of ``rows`` whose loss a party bears: the part's row position, its party
    and its part of each of ``cents`` (:meth:`CoLending.bearers`; without funding partners
    each loan whole, its lender's).
    """
    if model.co_lending is None:
        lender = model.book.column("lender").take(rows).astype(np.intp)
        return (np.arange(len(rows)), lender, *cents)
    split = [model.co_lending.bearers(rows, c) for c in cents]
    at, party = split[0][0], split[0][1].astype(np.intp)
    return (at, party, *(part for _, _, part in split))


def backtest_experiment(file: Path, day: int, seeds: list[int] | None = None,
                        lender: str = "platform") -> pd.DataFrame:
    """:func:`backtest_allowance` of ``lender`` in every run of an experiment file (each
    scenario and seed, one after the other).

    Returns:
        :data:`BACKTEST_COLUMNS` with ``scenario`` and ``seed``, ``lender``'s rows.

    Raises:
        ConfigError: A bad file, or ``day`` outside the runs (one line, before any run).
    """
    experiment, config_path = load_experiment(file)
    frames = []
    steps = {"run.steps": experiment.steps} if experiment.steps else {}
    for name, overrides in experiment.scenarios.items():
        for seed in seeds or experiment.seeds or [experiment.seed]:
            config = load_config(config_path, {**experiment.overrides, **overrides, **steps,
                                               "run.seed": seed})
            if not 0 <= day < config.run.total_days - 1:
                raise ConfigError(f"--day: must be from 0 to {config.run.total_days - 2} "
                                  f"(the runs have {config.run.total_days} days), got {day}")
            if lender not in [lc.name for lc in config.lenders]:
                raise ConfigError(f"--lender: no lender {lender!r} in {experiment.name}")
            frame = backtest_allowance(config, day)
            frame = frame[frame["lender"] == lender].assign(scenario=name, seed=seed)
            frames.append(frame)
            print(f"{name} seed {seed}: done", file=sys.stderr, flush=True)
    return pd.concat(frames, ignore_index=True)


def backtest_table(frame: pd.DataFrame) -> str:
    """The Markdown table of :func:`backtest_experiment`: per scenario and stage, and over
    all stages, the mean allowance / realised net losses over seeds (yuan) and their ratio.
    """
    lines = ["| scenario | stage 1 | stage 2 | stage 3 | all |", "|---|---|---|---|---|"]
    for name, rows in frame.groupby("scenario", sort=False):
        seeds = rows["seed"].nunique()
        cells = []
        for part in [rows[rows["stage"] == s] for s in STAGES] + [rows]:
            held = part["allowance_cents"].sum() / seeds / 100
            lost = part["realised_loss_cents"].sum() / seeds / 100
            ratio = f" ({held / lost:.2f})" if lost else ""
            cells.append(f"{held:,.0f} / {lost:,.0f}{ratio}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m simfin.experiments.ecl_backtest FILE --day D``: back-test every run.

    Returns:
        0; 2 on bad input (one ``error:`` line).
    """
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("file", type=Path, help="An experiment file whose runs outlast --day.")
    args.add_argument("--day", type=int, required=True, help="The day whose closing "
                      "allowance is tested (0-based).")
    args.add_argument("--seeds", type=int, nargs="+", default=None)
    args.add_argument("--lender", default="platform")
    args.add_argument("--csv", type=Path, default=None, help="Also write the rows here.")
    parsed = args.parse_args(argv)
    try:
        frame = backtest_experiment(parsed.file, parsed.day, parsed.seeds, parsed.lender)
    except REFUSED as exc:
        return refuse(exc)
    if parsed.csv is not None:
        frame.to_csv(parsed.csv, index=False)
    print(backtest_table(frame))
    return 0


if __name__ == "__main__":
    sys.exit(main())
