"""Plug-ins named in a config: importable modules that register scorers, pricing policies
and pipeline stages (``simfin.lending.register_scorer`` ...) when imported.

A config's ``plugins:`` list is its first field, so pydantic imports the modules before it
checks the lenders' sections, which may then name what the plug-ins registered. Importing
a module runs its code: use plug-ins (and configs that name them) you trust.
"""

from __future__ import annotations

import importlib
import re

# Dotted Python identifiers: ``my_scorers`` or ``lab.credit.scorers``; nothing else.
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def import_plugin(name: str) -> str:
    """Import one plug-in module; ValueError with a one-line reason when it cannot be.

    Args:
        name: The module's dotted name, as ``import`` would take it.

    Returns:
        The name (a pydantic after-validator).
    """
    if not MODULE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a module name (dotted identifiers only, e.g. "
                         "my_lab.scorers)")
    try:
        importlib.import_module(name)
    except Exception as exc:  # any failure of the plug-in's own code, reported in one line
        detail = (str(exc).strip().splitlines() or [""])[0]
        hint = (" (is its folder on PYTHONPATH?)" if isinstance(exc, ModuleNotFoundError)
                else "")
        raise ValueError(f"cannot import plug-in {name!r}: {type(exc).__name__}: "
                         f"{detail}{hint}") from None
    return name
