"""Run every shipped experiment (``experiments/*.yaml``); regenerate the README's results.

One command re-measures them all after the market changes and rewrites the measured block
of each experiment's section in ``experiments/README.md`` (``simfin.experiments.measured``)::

    python -m simfin.experiments.shipped --out runs/m-2026-11-29 --readme experiments/README.md

Each experiment goes to its own folder under ``--out`` (resumable: a second call finishes
only missing runs, then regenerates the reports and blocks from the parts). Use a new
``--out`` after changing simfin's code: a folder resumes the same experiment file and config,
and cannot tell that the code that made its parts changed.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from pathlib import Path

from simfin.config import ConfigError
from simfin.experiments.design import load_experiment
from simfin.experiments.execution import run_experiment
from simfin.experiments.measured import blocks_in, record_timing, result_block, update_readme
from simfin.outputs.experiments import precondition_warnings, write_experiment

SHIPPED = ("c1_scenarios", "c2_products", "c3_channels", "c4_risk_control", "c5_payment",
           "c6_service", "c7_infrastructure", "apr_cap", "consortium", "price_response",
           "capital_rule", "sobol_profit")
FOLDER = Path(__file__).resolve().parents[2] / "experiments"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", default="processes",
                        choices=["local", "processes", "dask"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/measured"))
    parser.add_argument("--readme", type=Path, default=None,
                        help="README whose measured blocks are rewritten from the runs.")
    parser.add_argument("--date", default=datetime.date.today().isoformat(),
                        help="Date quoted in the blocks (default: today).")
    parser.add_argument("names", nargs="*", default=list(SHIPPED))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the shipped experiments, print each one's measured block, rewrite the README's.

    Returns:
        0, 1 if any run failed, 2 on bad input (one ``error:`` line, README untouched).
    """
    args = _parser().parse_args(argv)
    command = "python -m simfin.experiments.shipped --out " + shlex.quote(str(args.out))
    if args.readme is not None:
        command += " --readme " + shlex.quote(str(args.readme))
    if args.names != list(SHIPPED):
        command += " " + " ".join(args.names)
    failed = 0
    try:
        if args.readme is not None:  # bad markers fail before an hour of runs, not after
            if not args.readme.is_file():
                raise ConfigError(f"readme: {args.readme}: no such file")
            blocks_in(args.readme.read_text(encoding="utf-8"))
        for name in args.names:
            if name not in SHIPPED:
                raise ConfigError(f"names: {name!r} is not a shipped experiment "
                                  f"({', '.join(SHIPPED)})")
        for name in args.names:
            experiment, config = load_experiment(FOLDER / f"{name}.yaml")
            start = time.perf_counter()
            result = run_experiment(experiment, config, args.out / name, args.executor,
                                    args.workers)
            write_experiment(result, experiment, args.out / name)
            for warning in precondition_warnings(result, experiment):
                print(f"warning: {name}: {warning}", file=sys.stderr)
            seconds = time.perf_counter() - start
            failed += len(result.failures)
            if result.ran == len(result.plan.tasks):
                record_timing(args.out, name, result.ran, seconds)
            print(f"## {name}: {len(result.plan.tasks)} runs ({result.ran} run now), "
                  f"{seconds:.0f} s\n")
            print(result_block(name, args.out / name, args.date, command), flush=True)
        if args.readme is not None:
            missing = update_readme(args.readme, args.out, args.names, args.date, command)
            for name in missing:
                print(f"note: {args.readme} has no measured block for {name}",
                      file=sys.stderr)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
