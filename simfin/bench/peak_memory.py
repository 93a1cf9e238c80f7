"""Peak resident memory of whole runs, each in a fresh process.

    python -m simfin.bench.peak_memory 1000000 30            # simfin.run(), log on and off
    python -m simfin.bench.peak_memory 1000000 30 --write    # simfin run (the outputs too)

A run of ``configs/baseline.yaml`` with ``population.n_consumers`` and ``run.steps`` set is
started as a child process (``simfin.run()``, or the ``simfin run`` command that also
writes the outputs); its peak RSS comes from ``os.wait4`` (the kernel's ``ru_maxrss`` of
that child alone), so nothing measured shares a heap with the measuring process.
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


def peak_of(argv: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``argv`` to its end; its peak RSS (bytes), wall seconds and stdout.

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
    return {"maxrss": usage.ru_maxrss * 1024, "seconds": seconds, "stdout": stdout}


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
            argv = [sys.executable, "-m", "simfin.cli", "run", str(config),
                    "--out", str(Path(tmp) / "out")]
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


def main(argv: list[str] | None = None) -> None:
    """``python -m simfin.bench.peak_memory CONSUMERS DAYS [--write] [--log on|off|both]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--child":
        _child(args[1], args[2:])
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
