"""Peak resident memory of whole runs, each in a fresh process.

    python -m simfin.bench.peak_memory 1000000 30            # simfin.run(), log on and off
    python -m simfin.bench.peak_memory 1000000 30 --write    # simfin run (the outputs too)

A run of ``configs/baseline.yaml`` with ``population.n_consumers`` and ``run.steps`` set is
started as a child process (``simfin.run()``, or the ``simfin run`` command that also
writes the outputs), so nothing measured shares a heap with the measuring process. The
child reports its own peak: ``VmHWM`` of ``/proc/self/status``, the high-water mark of the
memory the child's program mapped since its ``exec``. The kernel's ``ru_maxrss`` (from
``wait4``) is not used where ``VmHWM`` exists: it also counts the pages the child shared
with its parent between ``fork`` and ``exec``, so a child of a large process (a test worker
that has run a hundred tests) would report the parent's size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"


def _overrides(n_consumers: int, days: int, record_applications: bool) -> list[str]:
    return [f"population.n_consumers={n_consumers}", f"run.steps={days}",
            f"run.record_applications={str(record_applications).lower()}"]


PEAK_TAG = "simfin-peak-bytes:"


def own_peak_bytes() -> int:
    """This process's peak resident memory since its ``exec`` (``VmHWM``), in bytes; where
    ``/proc`` has no such line, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_of(argv: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``argv`` (a ``--child`` or ``--child-cli`` command of this module) to its end; its
    peak RSS (bytes, as the child reported it on stderr), wall seconds and stdout.

    Raises:
        RuntimeError: The command failed (its stderr's last line is in the message).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err,
                                 env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)  # the resources of this child alone
        seconds = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code != 0:
        last = stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise RuntimeError(f"{' '.join(argv[:4])}... exited {code}: {last[0]}")
    reported = [line for line in stderr.splitlines() if line.startswith(PEAK_TAG)]
    maxrss = int(reported[-1][len(PEAK_TAG):]) if reported else usage.ru_maxrss * 1024
    return {"maxrss": maxrss, "seconds": seconds, "stdout": stdout}


def run_peak(n_consumers: int, days: int, record_applications: bool = True,
             write: bool = False, config: Path = BASELINE) -> dict:
    """Peak RSS of one run in a fresh process.

    Args:
        n_consumers: ``population.n_consumers``.
        days: ``run.steps``.
        record_applications: ``run.record_applications``.
        write: Run ``simfin run`` (simulation and every output file) instead of
            ``simfin.run()`` alone.
        config: The market config (default ``configs/baseline.yaml``).

    Returns:
        ``consumers``, ``days``, ``record_applications``, ``write``, ``maxrss`` (bytes),
        ``seconds`` (wall, process start to end) and, for ``simfin.run()``, the run's
        ``loans`` and ``applications``.
    """
    sets = _overrides(n_consumers, days, record_applications)
    env = {"SIMFIN_MEMORY_CHECK": "off"}  # measure, whatever the estimate says
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            argv = [sys.executable, "-m", "simfin.bench.peak_memory", "--child-cli", "run",
                    str(config), "--out", str(Path(tmp) / "out")]
            for item in sets:
                argv += ["--set", item]
            peak = peak_of(argv, env)
        counts = {}
    else:
        argv = [sys.executable, "-m", "simfin.bench.peak_memory", "--child", str(config),
                *sets]
        peak = peak_of(argv, env)
        counts = json.loads(peak["stdout"].strip().splitlines()[-1])
    return {"consumers": n_consumers, "days": days,
            "record_applications": record_applications, "write": write,
            "maxrss": peak["maxrss"], "seconds": peak["seconds"], **counts}


def _child(config: str, sets: list[str]) -> None:
    import simfin

    result = simfin.run(config, overrides=sets)
    # Counted from the log: ``result.applications`` would read the table (lazy) into memory.
    log = result.application_log
    n_apps = len(log) if log is not None else 0
    print(json.dumps({"loans": len(result.loans), "applications": n_apps}))


def _child_cli(args: list[str]) -> None:
    """``simfin ARGS`` in this process, then its peak on stderr (whatever the exit code)."""
    from simfin import cli

    sys.argv = ["simfin", *args]
    try:
        cli.main()
    finally:
        print(f"{PEAK_TAG}{own_peak_bytes()}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m simfin.bench.peak_memory CONSUMERS DAYS [--write] [--log on|off|both]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--child":
        _child(args[1], args[2:])
        print(f"{PEAK_TAG}{own_peak_bytes()}", file=sys.stderr, flush=True)
        return
    if args and args[0] == "--child-cli":
        _child_cli(args[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m simfin.bench.peak_memory")
    parser.add_argument("consumers", type=int)
    parser.add_argument("days", type=int)
    parser.add_argument("--write", action="store_true", help="simfin run, outputs included")
    parser.add_argument("--log", choices=("on", "off", "both"), default="both",
                        help="run.record_applications")
    opts = parser.parse_args(args)
    logs = {"on": (True,), "off": (False,), "both": (True, False)}[opts.log]
    for log in logs:
        row = run_peak(opts.consumers, opts.days, log, opts.write)
        print(json.dumps({**row, "maxrss_mb": round(row["maxrss"] / 2**20)}), flush=True)


if __name__ == "__main__":
    main()
