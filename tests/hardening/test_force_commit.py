"""Class 5, the commit of a ``--force`` rewrite: killed (SIGKILL) before any step of it, the
output folder holds exactly the old run's files or exactly the new run's (by manifest and
SHA-256), with the user's own files in both, for every step; and a later reader or run
finishes what the dead process left (a swap half done, folders set aside, staging).

Each commit runs in a child process that kills itself before its k-th filesystem change
(rename, replace, link, symlink, mkdir, unlink, rmdir or the atomic exchange), for k = 1, 2,
... until a child finishes its commit unkilled. Both ways of swapping run: the one-step
exchange (Linux ``renameat2``) and the two renames used where the filesystem has no
exchange.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simfin.outputs import run_folder
from simfin.outputs.run_folder import (
    MANIFEST,
    clean_stale_staging,
    commit,
    is_complete,
    prepare,
)
from tests.hardening.conftest import TIMEOUT_S

# simfin's files of two runs: some shared names with new contents, some only in one run.
OLD_RUN = {"steps.parquet": b"old steps", "loans.parquet": b"old loans",
           "summary.json": b'{"run": "old"}', "config.yaml": b"run: {seed: 1}\n",
           "report.md": b"# old", "applications.parquet": b"old applications",
           "figures/profit.png": b"old profit", "figures/retired.png": b"a figure no longer made"}
NEW_RUN = {"steps.parquet": b"new steps", "loans.parquet": b"new loans",
           "summary.json": b'{"run": "new"}', "config.yaml": b"run: {seed: 2}\n",
           "report.md": b"# new", "figures/profit.png": b"new profit",
           "figures/frontier.png": b"new frontier"}
USERS = {"notes.txt": b"my notes", "figures/my_plot.png": b"mine, not simfin's",
         "analysis/deep/table.csv": b"a,b\n1,2\n"}
CHANGES = ("rename", "replace", "link", "symlink", "mkdir", "unlink", "rmdir")


def snapshot(folder: Path) -> dict[str, str] | None:
    """Every entry under ``folder``: files by SHA-256, links by target, folders by kind."""
    if not os.path.lexists(folder):
        return None
    entries = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            entries[key] = f"link -> {os.readlink(path)}"
        elif path.is_dir():
            entries[key] = "folder"
        else:
            entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def old_output(root: Path) -> Path:
    """``root/run``: a committed old run, then the user's files added to it."""
    out = root / "run"
    staging = prepare(out)
    write_files(staging, OLD_RUN)
    commit(staging, out)
    write_files(out, USERS)
    (out / "notes_link").symlink_to("notes.txt")
    (out / "empty_folder").mkdir()
    return out


# The child: stage the new run, then die (SIGKILL) before the commit's k-th change.
KILLED_COMMIT = """
import json, os, signal, sys
from pathlib import Path
from simfin.outputs import run_folder

k, out, swap = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
files, changes = json.loads(sys.argv[4]), json.loads(sys.argv[5])
staging = run_folder.prepare(out, force=True)
for name, text in files.items():
    (staging / name).parent.mkdir(parents=True, exist_ok=True)
    (staging / name).write_text(text)
calls = [0]

def dying(real):
    def change(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return change

for name in changes:
    setattr(os, name, dying(getattr(os, name)))
exchange = run_folder._exchange if swap == "exchange" else (lambda a, b: False)
run_folder._exchange = dying(exchange)
run_folder.commit(staging, out, force=True)
"""


def commit_killed_at(k: int, out: Path, swap: str) -> bool:
    """Commit the new run over ``out`` in a child process killed before the commit's k-th
    change; True if it was killed, False if the commit finished first.
    """
    files = json.dumps({name: data.decode() for name, data in NEW_RUN.items()})
    proc = subprocess.run([sys.executable, "-c", KILLED_COMMIT, str(k), str(out), swap, files,
                           json.dumps(CHANGES)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr[-2000:]
    return proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("swap", ["exchange", "two_renames"])
def test_a_force_commit_killed_at_any_step_leaves_all_old_or_all_new(tmp_path: Path,
                                                                     swap: str):
    if swap == "exchange":  # precondition: this filesystem can swap in one step
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        if not run_folder._exchange(tmp_path / "a", tmp_path / "b"):
            pytest.skip("no atomic exchange on this system or filesystem")
        shutil.rmtree(tmp_path / "a")
        shutil.rmtree(tmp_path / "b")
    # The two states the folder may be in: the old run's, and the new run's after a commit.
    reference = tmp_path / "reference"
    reference.mkdir()
    old = snapshot(old_output(reference))
    staging = prepare(reference / "run", force=True)
    write_files(staging, NEW_RUN)
    commit(staging, reference / "run", force=True)
    new = snapshot(reference / "run")
    users = {"notes.txt", "notes_link", "figures/my_plot.png", "analysis/deep/table.csv",
             "empty_folder"}
    assert users <= set(old) and users <= set(new)  # the user's files are in both
    assert "figures/retired.png" in old and "figures/retired.png" not in new
    assert "applications.parquet" not in new and old[MANIFEST] != new[MANIFEST]
    assert is_complete(reference / "run")

    outcomes = []
    for k in range(1, 500):
        root = tmp_path / f"k{k}"
        root.mkdir()
        out = old_output(root)
        killed = commit_killed_at(k, out, swap)
        seen = snapshot(out)
        # As the dead process left it: old or new; or, between the two renames, absent.
        absent = seen is None and swap == "two_renames"
        assert seen in (old, new) or absent, (k, seen)
        # A reader finishes the swap; the folder is then complete, old or new.
        assert is_complete(out), k
        after = snapshot(out)
        assert after in (old, new), (k, after)
        if seen is not None:
            assert after == seen, k  # a reader never changes a folder that was whole
        # A later run in the same parent folder removes whatever the dead one left.
        clean_stale_staging(root)
        assert sorted(p.name for p in root.iterdir()) == ["run"], k
        outcomes.append(("absent" if absent else "old" if seen == old else "new", killed))
        if not killed:
            break
    assert outcomes[-1] == ("new", False), "the commit never finished"
    assert outcomes[0] == ("old", True)
    steps = len(outcomes) - 1
    assert steps >= 10, outcomes  # a manifest, links, folders, the swap, the removals
    if swap == "two_renames":
        assert ("absent", True) in outcomes  # the window between the renames was hit


def test_a_swap_that_fails_halfway_puts_the_old_folder_back(tmp_path: Path, monkeypatch):
    out = old_output(tmp_path)
    old = snapshot(out)
    staging = prepare(out, force=True)
    write_files(staging, NEW_RUN)
    real_rename, renames = os.rename, []

    def rename(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        if Path(src) == staging:  # the new folder cannot go in (say, a full disk)
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(run_folder, "_exchange", lambda a, b: False)
    monkeypatch.setattr(run_folder.os, "rename", rename)
    with pytest.raises(OSError, match="No space"):
        commit(staging, out, force=True)
    assert len(renames) == 3  # precondition: aside, in (failed), back
    assert snapshot(out) == old and is_complete(out)
