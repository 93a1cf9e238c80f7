"""The ``simfin`` command line.

User mistakes (bad config, bad override, occupied output folder) print one line on stderr
and exit with code 2; nothing is written. Internal errors exit with code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simfin.config import ConfigError
from simfin.outputs.writer import OutputExistsError, check_out_dir, default_out_dir, write_run

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate internet consumer-finance markets.")
console = Console(stderr=True)
USER_ERROR = 2


def fail(message: str) -> None:
    """Print one line on stderr and exit with the user-error code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USER_ERROR)


@app.command("run")
def run_command(
    config: Annotated[Path, typer.Argument(help="Market config (YAML).")],
    # Ranges are checked by the config schema, so that they fail like any bad override.
    steps: Annotated[int | None, typer.Option(help="Days to simulate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field: dotted.path=value (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default: a new folder under runs/).")] = None,
    force: Annotated[bool, typer.Option(
        help="Write into a non-empty --out folder (only simfin's own files are replaced).")
    ] = False,
) -> None:
    """Run a market and write its tables, figures and report."""
    from simfin.runner import resolve, run

    try:
        resolved = resolve(config, steps, seed, set_ or [])
        target = out or default_out_dir(resolved.run.name, resolved.run.seed)
        check_out_dir(target, force)
    except (ConfigError, OutputExistsError) as exc:
        fail(str(exc))
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("day {task.completed}/{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(resolved.run.name, total=resolved.run.steps)
        result = run(resolved, progress=lambda done, total: bar.update(task, completed=done))
    try:
        write_run(result, target, force=force)
    except OutputExistsError as exc:
        fail(str(exc))
    print_summary(result.summary)
    typer.echo(f"outputs written to {target}")


def print_summary(summary: dict) -> None:
    """The summary table on stdout."""
    from simfin.outputs.report import ROWS, _fmt

    table = Table(title="simfin summary")
    table.add_column("indicator")
    names = list(summary["lenders"])
    for name in [*names, "market"]:
        table.add_column(name, justify="right")
    for key, label, how in ROWS:
        cells = [_fmt(summary["lenders"][n].get(key), how) for n in names]
        table.add_row(label, *cells, _fmt(summary["market"].get(key), how))
    Console().print(table)


@app.command("experiment")
def experiment_command(
    file: Annotated[Path, typer.Argument(help="Experiment definition (YAML).")],
    executor: Annotated[str, typer.Option(help="Where runs execute: local or processes.")
                        ] = "local",
    workers: Annotated[int, typer.Option(help="Worker processes (processes executor).",
                                         min=1)] = 2,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default: a new folder under runs/).")] = None,
    force: Annotated[bool, typer.Option(help="Write into a non-empty --out folder.")] = False,
) -> None:
    """Run every scenario of an experiment with every seed and compare them."""
    from simfin.experiments import EXECUTORS, load_experiment, run_experiment
    from simfin.experiments.runner import comparison_markdown
    from simfin.outputs.experiments import write_experiment

    try:
        experiment, config_path = load_experiment(file)
        EXECUTORS.get(executor)
        target = out or default_out_dir(experiment.name, experiment.seeds[0])
        check_out_dir(target, force)
    except (ConfigError, OutputExistsError, ValueError) as exc:
        fail(str(exc))
        return
    total = len(experiment.scenarios) * len(experiment.seeds)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("run {task.completed}/{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(experiment.name, total=total)
        results = run_experiment(experiment, config_path, executor, workers,
                                 progress=lambda done, _: bar.update(task, completed=done))
    write_experiment(results, experiment, target, force=force)
    typer.echo(comparison_markdown(results, experiment.outcomes))
    typer.echo(f"outputs written to {target}")


@app.command("bench")
def bench_command(
    size: Annotated[str, typer.Option(help="tiny, small or large (1M consumers; minutes).")
                    ] = "small",
    plot: Annotated[Path | None, typer.Option(
        help="Also write the log-log plot of run time against consumers (PNG).")] = None,
) -> None:
    """Measure decision and market throughput, memory, creation and collection; print
    each figure next to its reference and the ratio (tests/benchmarks/README.md).
    """
    from simfin.bench.suite import SIZES, run

    if size not in SIZES:
        fail(f"--size: must be one of {', '.join(SIZES)}, got {size!r}")
    typer.echo(run(size, str(plot) if plot else None,
                   progress=lambda message: console.print(f"[dim]{message}")))


@app.command("config-doc")
def config_doc_command() -> None:
    """Print the Markdown reference of every config field (configs/README.md's table)."""
    from simfin.config.reference import field_reference

    typer.echo(field_reference())


def main() -> None:
    """Entry point: user errors (bad options, bad config) become one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(USER_ERROR)
    except Exception as exc:
        # Click's usage errors (unknown option, bad value, missing argument) carry exit
        # code 2 and format_message(); typer may vendor click, so match them by shape.
        if getattr(exc, "exit_code", None) != USER_ERROR or not hasattr(exc, "format_message"):
            raise
        ctx = getattr(exc, "ctx", None)
        command = f"simfin {ctx.info_name}" if ctx is not None and ctx.parent else "simfin"
        typer.echo(f"error: {exc.format_message()} (see: {command} --help)", err=True)
        sys.exit(USER_ERROR)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
