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


def registered(registry_name: str, name: str) -> str:
    """``name`` if it is registered in ``simfin.lending.registry.<registry_name>`` (after
    the built-in parts have registered themselves); ValueError naming the choices otherwise.
    """
    # Importing the stages registers the built-in strategies.
    from simfin.lending import (  # noqa: F401
        assembly,
        demand_pricing,
        pricing,
        registry,
        reject_inference,
        scoring,
    )

    reg = getattr(registry, registry_name)
    if name not in reg:
        raise ValueError(f"unknown {reg.kind} {name!r}; registered: {', '.join(reg.names())}")
    return name
