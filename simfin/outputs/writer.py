"""Writing a run's files: all or nothing, and never touching files that are not simfin's.

The destination is checked (a folder simfin may write, on a filesystem with room) before the
simulation starts, and files are written to a hidden staging folder next to it,
``.<out>.staging-<pid>-<random>``. The commit is atomic as a reader sees it:

- a new output folder appears by one ``rename`` of the complete staging folder;
- a ``--force`` rewrite of an existing folder first removes its ``manifest.json``, then
  moves the new files in, and writes the new ``manifest.json`` last.

``manifest.json`` lists every file of the run with its size and SHA-256; a folder is a
complete run exactly when it has one and every listed file matches (:func:`is_complete`).
A process killed before the commit leaves only its staging folder, which the next run in
the same parent folder removes once the process that made it is gone.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np

from simfin.config import dump_config
from simfin.outputs.application_table import write_applications
from simfin.outputs.figures import write_figures
from simfin.outputs.loan_table import named_loans
from simfin.outputs.report import render_report
from simfin.runner import RunResult

MANIFEST = "manifest.json"
# What a run writes (besides figures/*.png); tests and users can rely on these names.
OUTPUT_FILES = ("steps.parquet", "loans.parquet", "summary.json", "config.yaml", "report.md",
                MANIFEST, "applications.parquet")  # applications: run.record_applications
MIN_FREE_BYTES = 50_000_000
"""Free space the destination's filesystem must have before a run starts."""
_STAGING = re.compile(r"^\..+\.staging-(\d+)-[0-9a-f]+$")


class OutputExistsError(FileExistsError):
    """The output folder already holds files and ``force`` was not given, or simfin
    cannot write there; the message is one line.
    """


def default_out_dir(config_name: str, seed: int, root: Path = Path("runs")) -> Path:
    """``runs/<name>-seed<seed>-<timestamp>``: a new folder every time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return root / f"{config_name}-seed{seed}-{stamp}"


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse a folder that holds anything, unless ``force``."""
    try:
        if out.exists() and not out.is_dir():
            raise OutputExistsError(f"{out}: exists and is not a folder")
        if out.exists() and any(out.iterdir()) and not force:
            raise OutputExistsError(f"{out}: folder is not empty (use --force to replace "
                                    "simfin's outputs in it; other files are left alone)")
    except OSError as exc:
        if isinstance(exc, OutputExistsError):
            raise
        raise OutputExistsError(f"{out}: cannot use this folder: "
                                f"{exc.strerror or exc}") from None


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale_staging(parent: Path) -> list[Path]:
    """Remove staging folders in ``parent`` whose process is gone; returns them."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _STAGING.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def prepare(out: Path, force: bool = False) -> Path:
    """Check the destination and create the run's staging folder, before any simulation.

    Raises:
        OutputExistsError: If ``out`` is occupied (without ``force``), or its parent cannot
            be created or written, or its filesystem has less than MIN_FREE_BYTES free.
    """
    check_out_dir(out, force)
    parent = out.parent
    staging = parent / f".{out.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(parent)
        staging.mkdir()
        probe = staging / ".probe"
        with probe.open("wb") as handle:
            handle.write(b"simfin")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
        free = shutil.disk_usage(parent).free
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputExistsError(f"{out}: cannot write here: {exc.strerror or exc}") from None
    if free < MIN_FREE_BYTES:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputExistsError(f"{out}: only {free // 1_000_000} MB free on its filesystem "
                                f"(at least {MIN_FREE_BYTES // 1_000_000} MB needed)")
    return staging


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(staging: Path) -> None:
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MANIFEST)
    entries = {}
    for path in files:
        with path.open("rb") as handle:  # durable before the folder is published
            os.fsync(handle.fileno())
        entries[path.relative_to(staging).as_posix()] = {"bytes": path.stat().st_size,
                                                         "sha256": _sha256(path)}
    tmp = staging / f".{MANIFEST}.tmp"
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump({"files": entries}, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(staging / MANIFEST)


def is_complete(out: Path) -> bool:
    """Whether ``out`` holds a complete run: a manifest whose every file matches."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        for name, entry in manifest["files"].items():
            path = out / name
            if path.stat().st_size != entry["bytes"] or _sha256(path) != entry["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def commit(staging: Path, out: Path, force: bool = False) -> None:
    """Publish a complete staging folder as ``out`` (see the module docstring)."""
    _write_manifest(staging)
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        try:
            if out.exists():
                out.rmdir()
            os.rename(staging, out)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if not force:  # another process took the name in between
                raise OutputExistsError(f"{out}: folder appeared while writing") from None
    check_out_dir(out, force)
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MANIFEST)
    moves = [(path, out / path.relative_to(staging)) for path in files]
    # Check every destination before moving anything: all or nothing.
    for _, target in moves:
        for place in (target, *target.parents):
            if place == out.parent:
                break
            if place.exists() and not (place.is_dir() if place != target
                                       else place.is_file()):
                raise OutputExistsError(f"{place}: is in the way of simfin's output "
                                        f"{target.relative_to(out)}")
    (out / MANIFEST).unlink(missing_ok=True)  # from here on the folder is not complete
    for name in OUTPUT_FILES:  # simfin's files this run did not write (applications.parquet
        stale = out / name     # when run.record_applications is now off) would be stale
        if name != MANIFEST and stale.is_file() and not (staging / name).exists():
            stale.unlink()
    for path, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    (staging / MANIFEST).replace(out / MANIFEST)


@contextmanager
def staged(out: Path, force: bool = False, staging: Path | None = None) -> Iterator[Path]:
    """Yield a staging folder to write into; on success commit it as ``out``.

    Only the files written in the staging folder replace files in ``out``; anything else a
    user keeps there is left alone. On an error nothing in ``out`` changes.

    Args:
        out: The output folder.
        force: Allow a non-empty ``out``.
        staging: A folder made by :func:`prepare` (checked before a long computation);
            made here when None.
    """
    staging = prepare(out, force) if staging is None else staging
    try:
        yield staging
        commit(staging, out, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_json(path: Path, data: dict) -> None:
    """JSON with numpy scalars as plain numbers."""
    path.write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")


def write_run(result: RunResult, out: Path, force: bool = False,
              staging: Path | None = None) -> Path:
    """Write steps, loans, summary, config, figures, report and manifest into ``out``.

    Args:
        result: The run.
        out: The output folder.
        force: Allow a non-empty ``out`` (only simfin's files are replaced).
        staging: The staging folder :func:`prepare` made before the run, if any.
    """
    with staged(out, force, staging) as staging:
        steps = result.steps.copy()
        steps["lender"] = steps["lender"].astype(str)
        steps.to_parquet(staging / "steps.parquet", index=False)
        named_loans(result.loans, result.config).to_parquet(staging / "loans.parquet",
                                                            index=False)
        if result.applications is not None:
            lenders = result.model.lenders
            write_applications(result.applications, result.config,
                               [lender.reason_codes for lender in lenders],
                               [lender.flag_reasons for lender in lenders],
                               staging / "applications.parquet")
        write_json(staging / "summary.json", result.summary)
        (staging / "config.yaml").write_text(dump_config(result.config), encoding="utf-8")
        figures = write_figures(result, staging / "figures")
        rel = [f"figures/{p.name}" for p in figures]
        (staging / "report.md").write_text(render_report(result.config, result.summary, rel),
                                           encoding="utf-8")
    return out
