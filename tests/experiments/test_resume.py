"""Results survive: killed runners and workers, runs that raise, changed experiment files."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from simfin.experiments import load_experiment, run_experiment

from .files import SIMFIN, TINY, write

# The tiny experiment over 30 days (runs of about half a second): these tests are about which
# parts exist, not about what the market did.
SHORT = TINY.replace("steps: 60", "steps: 30")
assert SHORT != TINY
# Eight runs: long enough to kill something part-way.
EIGHT = SHORT.replace("replicates: 2", "replicates: 4")


def snapshot(parts: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_ino, p.read_bytes())
            for p in parts.glob("*.parquet")}


def wait_for_parts(parts: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if parts.is_dir() and len(list(parts.glob("*.parquet"))) >= n:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no parts appeared")


def assert_complete(out: Path, total: int) -> pd.DataFrame:
    results = pd.read_parquet(out / "results.parquet")
    per_run = results[results["lender"] == "market"]["run"]
    assert len(per_run) == total and per_run.is_unique
    assert len(list((out / "parts").glob("*.parquet"))) == total
    return results


def test_a_killed_runner_resumes_only_the_missing_runs(tmp_path):
    path = write(tmp_path, EIGHT)
    out = tmp_path / "out"
    command = [*SIMFIN, "experiment", str(path), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    wait_for_parts(out / "parts", 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = snapshot(out / "parts")
    assert 2 <= len(before) < 8 and not (out / "results.parquet").exists()

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"({8 - len(before)} runs now, {len(before)} already done)" in done.stdout
    assert_complete(out, 8)
    after = snapshot(out / "parts")
    for name, stamp in before.items():
        assert after[name] == stamp  # finished parts are never recomputed or rewritten


def test_a_killed_worker_loses_no_finished_run(tmp_path):
    path = write(tmp_path, EIGHT)
    out = tmp_path / "out"
    proc = subprocess.Popen([*SIMFIN, "experiment", str(path), "--out", str(out),
                             "--executor", "processes", "--workers", "2"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_for_parts(out / "parts", 2, proc)
        before = snapshot(out / "parts")
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                   if "spawn_main" in " ".join(c.cmdline())]
        assert len(before) < 8 and workers  # killed part-way, with workers running
        workers[0].send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert_complete(out, 8)
    after = snapshot(out / "parts")
    for name, stamp in before.items():
        assert after[name] == stamp


ISHI_BROKEN = """
name: broken
model: ishigami
outcomes: [y]
replicates: 1
scenarios:
  ok: {x3: 0.5}
  broken: {}
design:
  method: lhs
  samples: 4
  parameters:
    x1: {low: -3, high: 3}
    x2: {low: -3, high: 3}
"""


def test_a_run_that_raises_is_recorded_and_the_others_finish(tmp_path):
    path = write(tmp_path, ISHI_BROKEN)
    out = tmp_path / "out"
    done = subprocess.run([*SIMFIN, "experiment", str(path), "--out", str(out)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert "error: 4 of 8 runs failed" in done.stderr
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["scenario"]) == {"ok"} and len(results) == 4
    failures = sorted(p.name for p in (out / "failures").iterdir())
    assert len(failures) == 4 and all(f.startswith("broken__") for f in failures)
    assert "KeyError" in (out / "comparison.md").read_text()


def test_a_changed_experiment_file_is_not_mixed_in(tmp_path):
    path = write(tmp_path, SHORT.replace("replicates: 2", "replicates: 1"))
    experiment, config = load_experiment(path)
    out = tmp_path / "out"
    run_experiment(experiment, config, out)
    before = snapshot(out / "parts")
    path.write_text(SHORT.replace("replicates: 2", "replicates: 1").replace("0.24", "0.25"))
    done = subprocess.run([*SIMFIN, "experiment", str(path), "--out", str(out)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "different experiment file" in done.stderr
    assert snapshot(out / "parts") == before


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_resuming_a_finished_experiment_runs_nothing(tmp_path, executor):
    experiment, config = load_experiment(write(tmp_path, ISHI_BROKEN.replace(
        "  broken: {}\n", "")))
    out = tmp_path / "out"
    first = run_experiment(experiment, config, out, executor)
    calls = []
    again = run_experiment(experiment, config, out, executor,
                           progress=lambda done, total: calls.append((done, total)))
    assert first.ran == 4 and again.ran == 0
    assert calls == [(4, 4)]  # the progress bar starts at the runs already done
    pd.testing.assert_frame_equal(first.results, again.results)
