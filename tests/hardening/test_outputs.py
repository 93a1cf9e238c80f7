"""Class 5: output that is all or nothing. A destination simfin cannot use is refused before
the simulation; a run killed (SIGKILL) at random points, during the simulation or during
the commit, never leaves a folder that looks complete but is not, and the next run removes
what the dead one left.

The crash test kills a few runs by default; ``SIMFIN_CRASH_KILLS=40`` runs a longer
profile for maintainers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simfin.outputs import run_folder
from simfin.outputs.run_folder import OutputExistsError, is_complete, prepare
from tests.hardening.conftest import TIMEOUT_S, assert_refused, simfin_cli

KILLS = int(os.environ.get("SIMFIN_CRASH_KILLS", "2"))


@pytest.mark.parametrize("out", ["/proc/simfin-out", "/sys/simfin/out", "/dev/null/out"])
def test_unusable_destination_refused_before_the_run(market: Path, out: str):
    start = time.monotonic()
    # a long run: a refusal after the simulation would time out
    proc = simfin_cli("run", str(market), "--steps", "3000", "--set",
                      "population.n_consumers=200000", "--out", out, cwd=market.parent)
    assert_refused(proc, out, "cannot")
    assert time.monotonic() - start < TIMEOUT_S


def test_full_filesystem_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(run_folder.shutil, "disk_usage",
                        lambda _: type("U", (), {"free": 1_000_000})())
    with pytest.raises(OutputExistsError, match="MB free"):
        prepare(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


# SIGKILL inside the commit: a wrapper runs the CLI and kills itself before the commit's
# n-th filesystem change (tests/hardening/test_force_commit.py kills at every step).
KILL_IN_COMMIT = """
import os, signal, sys
from simfin.outputs import run_folder
n = int(sys.argv[1]); calls = [0]; committing = [False]
def dying(real):
    def call(*args, **kwargs):
        calls[0] += committing[0]
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call
for name in ("rename", "replace", "link", "mkdir", "unlink", "rmdir"):
    setattr(os, name, dying(getattr(os, name)))
run_folder._exchange = dying(run_folder._exchange)
real_commit = run_folder.commit
def commit(*args, **kwargs):
    committing[0] = True
    return real_commit(*args, **kwargs)
run_folder.commit = commit
sys.argv = ["simfin", *sys.argv[2:]]
from simfin.cli import main
main()
"""


def _assert_no_false_complete(parent: Path) -> None:
    for folder in parent.iterdir():  # staging folders are hidden work areas, not outputs
        if ".staging-" not in folder.name and (folder / "manifest.json").exists():
            assert is_complete(folder), folder


def test_killed_runs_never_look_complete_and_are_cleaned_up(market: Path):
    rng = random.Random(7)
    root = market.parent
    # 1. Killed during the simulation (or the writing) at random moments.
    for i in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-m", "simfin.cli", "run", str(market),
                                 "--set", "population.n_consumers=3000", "--steps", "60",
                                 "--out", f"runs/sim{i}"], cwd=root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT_S
        # wait for the staging folder (made just before the simulation), then kill at random
        while not list(root.glob(f"runs/.sim{i}.staging-*")) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT_S)
        _assert_no_false_complete(root / "runs")
    # 2. Killed inside the commit of a --force rewrite, at its n-th change: the folder is the
    # old run or the new one, complete either way (a reader finishes a half-done swap).
    forced = root / "runs" / "forced"
    first = simfin_cli("run", str(market), "--out", "runs/forced", cwd=root)
    assert first.returncode == 0, first.stderr[-2000:]
    assert is_complete(forced)
    old_manifest = (forced / "manifest.json").read_text(encoding="utf-8")
    for n in rng.sample(range(1, 9), k=min(KILLS, 8)):
        proc = subprocess.run([sys.executable, "-c", KILL_IN_COMMIT, str(n), "run",
                               str(market), "--seed", str(n + 100), "--out", "runs/forced",
                               "--force"], cwd=root, capture_output=True, timeout=TIMEOUT_S)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        _assert_no_false_complete(root / "runs")
        assert is_complete(forced)  # all old or all new
        manifest = (forced / "manifest.json").read_text(encoding="utf-8")
        listed = set(json.loads(manifest)["files"])
        assert {p.relative_to(forced).as_posix() for p in forced.rglob("*")
                if p.is_file()} == listed | {"manifest.json"}  # nothing of the other run
        assert manifest == old_manifest or "seed: " + str(n + 100) in (
            forced / "config.yaml").read_text(encoding="utf-8")
    # 3. The next run removes the dead runs' staging folders and completes.
    staging = [p for p in (root / "runs").iterdir() if ".staging-" in p.name]
    assert staging, "the kills left no staging folder: the test did not kill mid-run"
    again = simfin_cli("run", str(market), "--out", "runs/forced", "--force", cwd=root)
    assert again.returncode == 0, again.stderr[-2000:]
    assert is_complete(root / "runs" / "forced")
    assert not [p for p in (root / "runs").iterdir() if ".staging-" in p.name or ".old-" in p.name]
