"""The ``simfin`` command line.

User mistakes (bad config, bad override, occupied output folder) print one line on stderr
and exit with code 2; nothing is written. Internal errors exit with code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from simfin import __version__

# Start-up: `simfin --version` and `--help` import only typer and this module (a test checks
# the import set). Each command imports what it needs (config, model, experiments, outputs)
# in its body, so the heavy libraries (SciPy, pandas, Matplotlib, Mesa) load only to run.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate internet consumer-finance markets.")
USER_ERROR = 2
# Enumerated options list their choices in --help and refuse others with exit code 2.
Executor = Literal["dask", "local", "processes"]  # EXECUTORS.names() (a test checks)
BenchSize = Literal["tiny", "small", "large"]  # simfin.bench.suite.SIZES (a test checks)


def progress_bar(counting: Literal["days", "runs"]):  # noqa: ANN201  (rich.progress.Progress)
    """A transient progress bar on stderr (rich loads here, when a command runs)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if counting == "days":
        columns = (TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("day {task.completed}/{task.total}"), TimeElapsedColumn())
    else:
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"simfin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print simfin's version and exit.")] = False) -> None:
    """Simulate internet consumer-finance markets."""


def fail(message: str) -> None:
    """Print one line on stderr and exit with the user-error code."""
    from simfin.config.errors import one_line

    typer.echo(f"error: {one_line(message)}", err=True)
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
    import shutil

    from simfin.config import ConfigError
    from simfin.config.loading import resolve
    from simfin.memory import check_fits
    from simfin.outputs.run_folder import OutputExistsError, default_out_dir, prepare

    try:
        resolved = resolve(config, steps, seed, set_ or [])
        check_fits(resolved)  # before anything is written (SIMFIN_MEMORY_CHECK=off: skip)
        target = out or default_out_dir(resolved.run.name, resolved.run.seed)
        # The destination is checked, and the staging folder made, before the simulation.
        staging = prepare(target, force)
    except (ConfigError, OutputExistsError) as exc:
        fail(str(exc))
        return
    # The model, the runner and the writers (pandas, mesa, matplotlib: over a second) are
    # imported once the config is known to be good: a mistake is reported at once.
    from simfin.outputs.writer import write_run
    from simfin.runner import run

    try:
        with progress_bar("days") as bar:
            task = bar.add_task(resolved.run.name, total=resolved.run.total_days)
            result = run(resolved,
                         progress=lambda done, total: bar.update(task, completed=done))
        write_run(result, target, force=force, staging=staging)
    except OutputExistsError as exc:
        fail(str(exc))
    except OSError as exc:  # the disk filled up or went away while writing
        fail(f"{target}: cannot write: {exc.strerror or exc}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print_summary(result.summary)
    typer.echo(f"outputs written to {target}")


def print_summary(summary: dict) -> None:
    """The summary tables, decline reasons and warnings on stdout."""
    from simfin.outputs.terminal import print_summary as show

    show(summary)


@app.command("experiment")
def experiment_command(
    file: Annotated[Path, typer.Argument(help="Experiment definition (YAML).")],
    executor: Annotated[Executor, typer.Option(help="Where runs execute.")] = "local",
    workers: Annotated[int, typer.Option(help="Worker processes (processes; dask with no "
                                         "--address).", min=1)] = 2,
    address: Annotated[str | None, typer.Option(
        help="Dask scheduler, e.g. tcp://host:8786 (default: a new LocalCluster).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Experiment folder (default: a new folder under runs/). Re-running on the same "
             "folder runs only the missing runs.")] = None,
    force: Annotated[bool, typer.Option(help="Write into a non-empty --out folder.")] = False,
) -> None:
    """Run an experiment's scenarios, design points and seeds; compare them; resumable."""
    from simfin.config import ConfigError
    from simfin.experiments import load_experiment, run_experiment
    from simfin.experiments.plan import fingerprint
    from simfin.experiments.store import ExperimentFolder
    from simfin.outputs.experiments import precondition_warnings, write_experiment
    from simfin.outputs.run_folder import OutputExistsError, check_out_dir, default_out_dir

    try:
        experiment, config_path = load_experiment(file)
        if address is not None and executor != "dask":
            raise ConfigError("--address: only with --executor dask")
        target = out or default_out_dir(experiment.name, experiment.seed)
        if ExperimentFolder(target).is_experiment():
            ExperimentFolder(target).check(fingerprint(experiment, config_path))
        else:
            check_out_dir(target, force)
        with progress_bar("runs") as bar:
            task = bar.add_task(experiment.name, total=None)
            result = run_experiment(
                experiment, config_path, target, executor, workers, address,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (ConfigError, OutputExistsError) as exc:
        fail(str(exc))
        return
    except ImportError as exc:
        fail(f"--executor {executor}: {exc} (pip install -e '.[experiments]')")
        return
    typer.echo(write_experiment(result, experiment, target))
    for warning in precondition_warnings(result, experiment):
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"outputs written to {target} ({result.ran} runs now, "
               f"{len(result.plan.tasks) - result.ran} already done)")
    if result.failures:
        typer.echo(f"error: {len(result.failures)} of {len(result.plan.tasks)} runs failed "
                   f"(see {target / 'failures'}); re-run the same command to retry them",
                   err=True)
        raise typer.Exit(1)


@app.command("bench")
def bench_command(
    size: Annotated[BenchSize, typer.Option(help="large: 1M consumers, minutes.")
                    ] = "small",
    plot: Annotated[Path | None, typer.Option(
        help="Also write the log-log plot of run time against consumers (PNG).")] = None,
) -> None:
    """Measure decision and market throughput, memory, creation and collection; print
    each figure next to its reference and the ratio (tests/benchmarks/README.md).
    """
    from rich.console import Console

    from simfin.bench.suite import SIZES, run

    if size not in SIZES:
        fail(f"--size: must be one of {', '.join(SIZES)}, got {size!r}")
    typer.echo(run(size, str(plot) if plot else None,
                   progress=lambda message: Console(stderr=True).print(f"[dim]{message}")))


@app.command("dashboard")
def dashboard_command(
    config: Annotated[Path | None, typer.Argument(
        help="Market config (YAML); default: the default market, configs/baseline.yaml.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (localhost only by "
                                      "default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).", min=0, max=65535)
                    ] = 8765,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open the page in a browser.")] = False,
) -> None:
    """Serve the interactive dashboard (solara, on the Mesa model): lever controls,
    reset/play/step by a chosen number of days up to the run's end, live per-lender plots.
    """
    from simfin.config import ConfigError, load_config

    try:
        load_config(config)
    except ConfigError as exc:
        fail(str(exc))
        return
    from simfin.viz.server import serve

    serve(config, host, port, open_browser)


@app.command("swap")
def swap_command(
    run_a: Annotated[Path, typer.Argument(help="Run folder A (with applications.parquet).")],
    run_b: Annotated[Path, typer.Argument(help="Run folder B: same market and seed, "
                                          "another strategy.")],
    csv: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")
                   ] = None,
) -> None:
    """Swap sets of run B against run A, per lender: approved in both, swap-outs (A
    approved, B did not) and swap-ins, with loans, bad rates and the answer key's.
    """
    import pandas as pd

    from simfin.indicators.swap_sets import keyed, swap_markdown, swap_sets

    frames = []
    for folder in (run_a, run_b):
        path = folder / "applications.parquet"
        if not path.is_file():
            fail(f"{folder}: no applications.parquet (a run folder written with "
                 "run.record_applications on)")
            return
        try:
            frames.append(keyed(pd.read_parquet(path)))
        except (KeyError, OSError, ValueError) as exc:
            fail(f"{path}: not an applications table: {exc}")
            return
    table = swap_sets(*frames)
    if csv is not None:
        try:
            table.to_csv(csv, index=False)
        except OSError as exc:
            fail(f"--csv {csv}: cannot write: {exc.strerror or exc}")
    typer.echo(swap_markdown(table))


@app.command("config-doc")
def config_doc_command() -> None:
    """Print the Markdown reference of every config field (configs/README.md's table)."""
    from simfin.config.reference import field_reference

    typer.echo(field_reference())


def _config_error() -> type[Exception]:
    """ConfigError, imported only when an exception reaches :func:`main` (an ``except``
    clause's expression is evaluated only then).
    """
    from simfin.config import ConfigError

    return ConfigError


def main() -> None:
    """Entry point: user errors (bad options, bad config) become one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except _config_error() as exc:
        from simfin.config.errors import one_line

        typer.echo(f"error: {one_line(str(exc))}", err=True)
        sys.exit(USER_ERROR)
    except Exception as exc:
        # Click's usage errors (unknown option, bad value, missing argument) carry exit
        # code 2 and format_message(); typer may vendor click, so match them by shape.
        if getattr(exc, "exit_code", None) != USER_ERROR or not hasattr(exc, "format_message"):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `simfin`: the help was shown
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        command = f"simfin {ctx.info_name}" if ctx is not None and ctx.parent else "simfin"
        message = exc.format_message().replace("Value error, ", "")
        typer.echo(f"error: {message} (see: {command} --help)", err=True)
        sys.exit(USER_ERROR)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
