"""Shared checks of the hardening tests: every case is a real ``simfin`` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT_S = 60
TINY = "run: {name: tiny, steps: 8}\npopulation: {n_consumers: 300}\n"


def simfin_cli(*args: str, cwd: Path, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run ``simfin`` in a subprocess under a timeout (a hang fails the test)."""
    env = {**os.environ, "COLUMNS": "100", "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "simfin.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_refused(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2 with one short ``error:`` line naming the field or rule; no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in proc.stderr, err[-2000:]
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err[:2000]
    assert len(err) <= 500, err[:600]
    for fragment in fragments:
        assert fragment in err, err
    return err


def files_under(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A tiny market config in a fresh folder (the process's working directory)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path
