"""A run's output folder: checked before the run, written all or nothing, never touching
files that are not simfin's.

The destination is checked (a folder simfin may write, on a filesystem with room) before the
simulation starts, and files are written to a hidden staging folder next to it,
``.<out>.staging-<pid>-<random>``, with ``manifest.json`` (every file's size and SHA-256)
written last. Then the commit:

- a new (or empty) output folder: one ``rename`` of the staging folder onto it;
- a ``--force`` rewrite of an existing folder: the user's own files (anything that is not
  one of simfin's output files or listed in the old manifest) are hard-linked (or copied)
  into the staging folder, then the two folders swap in one step (Linux ``renameat2``
  with ``RENAME_EXCHANGE``) or, where the filesystem cannot, in two renames: the old folder
  aside to ``.<out>.old-<pid>-<random>``, the staging folder in; the old files are then
  removed.

The invariant: ``out`` holds exactly the old run's files or exactly the new run's (with the
user's files in both), whenever the process is killed. With the two-rename swap there is
one moment, between the renames, when ``out`` is absent; if the process dies then, the
next run in the same parent folder, or :func:`is_complete` on ``out``, finishes the swap
(the new folder is in place when its manifest checks out, else the old one goes back).
A folder is a complete run exactly when it has a manifest and every listed file matches
(:func:`is_complete`). A process killed before the commit leaves only its staging folder,
which the next run in the same parent folder removes once the process that made it is gone.

This module uses only the standard library, so that it loads fast in a fresh process.
"""

from __future__ import annotations

import ctypes
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

MANIFEST = "manifest.json"
# What a run writes (besides figures/*.png); tests and users can rely on these names.
OUTPUT_FILES = ("steps.parquet", "loans.parquet", "summary.json", "config.yaml", "report.md",
                MANIFEST, "applications.parquet")  # applications: run.record_applications
MIN_FREE_BYTES = 50_000_000
"""Free space the destination's filesystem must have before a run starts."""
_STAGING = re.compile(r"^\.(.+)\.staging-(\d+)-([0-9a-f]+)$")
_ASIDE = re.compile(r"^\.(.+)\.old-(\d+)-([0-9a-f]+)$")  # an old folder during a swap


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
    """Finish the swaps that dead processes left half done (:func:`recover`), then remove
    staging folders in ``parent`` whose process is gone; returns the folders removed.
    """
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _ASIDE.match(entry.name)
        if match:
            recover(parent / match.group(1))
    for entry in entries:
        match = _STAGING.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(2))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def recover(out: Path) -> None:
    """Finish a ``--force`` swap of ``out`` that a killed process left half done.

    With ``out`` absent (killed between the two renames) the new folder goes in place when
    its manifest checks out, else the old one goes back; the old folder set aside is then
    removed. A swap whose process is alive is left alone.
    """
    try:
        asides = [p for p in out.parent.iterdir() if (m := _ASIDE.match(p.name))
                  and m.group(1) == out.name and not _alive(int(m.group(2)))]
        for aside in asides:
            _, pid, token = _ASIDE.match(aside.name).groups()
            staging = out.parent / f".{out.name}.staging-{pid}-{token}"
            if not os.path.lexists(out):
                os.rename(staging if _matches_manifest(staging) else aside, out)
            if aside.exists():
                shutil.rmtree(aside)
    except OSError:
        return  # a folder simfin cannot change now (read-only): left as it is


def prepare(out: Path, force: bool = False) -> Path:
    """Check the destination and create the run's staging folder, before any simulation.

    Raises:
        OutputExistsError: If ``out`` is occupied (without ``force``), or its parent cannot
            be created or written, or its filesystem has less than MIN_FREE_BYTES free.
    """
    recover(out)
    check_out_dir(out, force)
    if out.is_symlink():
        raise OutputExistsError(f"{out}: is a symbolic link (give the folder it points to)")
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
    """Whether ``out`` holds a complete run: a manifest whose every file matches.

    A swap a killed process left half done is finished first (:func:`recover`).
    """
    recover(out)
    return _matches_manifest(out)


def _matches_manifest(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        for name, entry in manifest["files"].items():
            path = folder / name
            if path.stat().st_size != entry["bytes"] or _sha256(path) != entry["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def _manifest_files(folder: Path) -> set[str]:
    """The files an existing folder's manifest lists (simfin's, from an earlier run)."""
    try:
        return set(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def commit(staging: Path, out: Path, force: bool = False) -> None:
    """Publish a complete staging folder as ``out`` (see the module docstring)."""
    _write_manifest(staging)
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        try:
            os.rename(staging, out)  # onto an empty folder too: one atomic step
            _fsync_folder(out.parent)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if not force:  # another process took the name in between
                raise OutputExistsError(f"{out}: folder appeared while writing") from None
    check_out_dir(out, force)
    new = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
    # Check every destination before changing anything: all or nothing.
    for name in sorted(new):
        target = out / name
        for place in (target, *target.parents):
            if place == out:
                break
            if os.path.lexists(place) and not (place.is_dir() and not place.is_symlink()
                                               if place != target else place.is_file()):
                raise OutputExistsError(f"{place}: is in the way of simfin's output {name}")
    _carry_users_files(out, staging, simfins={*OUTPUT_FILES, *_manifest_files(out), *new})
    aside = staging.with_name(staging.name.replace(".staging-", ".old-", 1))
    if _exchange(staging, out):  # out is the new folder; the staging path holds the old
        aside = staging
    else:
        os.rename(out, aside)
        try:
            os.rename(staging, out)
        except OSError:
            os.rename(aside, out)  # the old folder back: nothing changed
            raise
    _fsync_folder(out.parent)
    shutil.rmtree(aside)


def _carry_users_files(out: Path, staging: Path, simfins: set[str]) -> None:
    """Hard-link (or copy) every file and folder of ``out`` that is not simfin's into
    ``staging``, so that the swap keeps them; symbolic links are copied as links.
    """
    for top, folders, files in os.walk(out):
        rel = Path(top).relative_to(out)
        for name in list(folders):
            if (Path(top) / name).is_symlink():
                folders.remove(name)
                files.append(name)
            else:
                (staging / rel / name).mkdir(exist_ok=True)
        for name in files:
            path, key = Path(top) / name, (rel / name).as_posix()
            if key in simfins:
                continue
            if path.is_symlink():
                os.symlink(os.readlink(path), staging / key)
                continue
            try:
                os.link(path, staging / key)
            except OSError:  # no hard links here (another filesystem type): a copy
                shutil.copy2(path, staging / key)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or filesystem cannot.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (where the system allows opening a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


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
