"""The default market: ``configs/baseline.yaml``, the one market simfin builds without a
config (``MarketModel()``, ``simfin.run()``, ``simfin dashboard``), and the source of the
scenario, channel and lender lists that a config leaves out.

One file, two places, no copy: ``simfin/config/baseline.yaml`` is a symbolic link to
``../../configs/baseline.yaml``, listed as package data in ``pyproject.toml``. From the
repository (an editable install, or ``PYTHONPATH``) the link is followed; building a wheel
copies the file the link points to, so an installed package carries the same bytes. A copy
kept in step by a test could drift between a commit and its test run; a link cannot.
(A checkout whose git does not create links, e.g. Windows without ``core.symlinks``, holds
the link's target path as text instead: :func:`baseline_path` follows it too.)
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml


def baseline_path() -> Path:
    """The default market's YAML file (``configs/baseline.yaml``, shipped in the package)."""
    path = Path(__file__).with_name("baseline.yaml")
    if path.is_file() and path.stat().st_size < 200:  # a link checked out as its target text
        target = path.read_text(encoding="utf-8").strip()
        if target.endswith(".yaml") and "\n" not in target:
            return (path.parent / target).resolve()
    return path


@cache
def _baseline_data() -> dict[str, Any]:
    return yaml.safe_load(baseline_path().read_text(encoding="utf-8"))


def baseline_data() -> dict[str, Any]:
    """A fresh copy of the whole default market as plain data (read once per process)."""
    return copy.deepcopy(_baseline_data())
