"""Common base for every config section: forbids unknown keys, documents units."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of all config sections.

    Unknown keys are errors (a typo must never be silently ignored) and every
    assignment is validated, so overrides go through the same checks as files. Types are
    strict: ``steps: true`` or ``seed: "7"`` is an error, not a 1 or a 7 (YAML already gives
    numbers as numbers; an int is still accepted where a float is expected).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False,
                              strict=True)


def param(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """A config field with a default, a description and a unit.

    Args:
        default: The default value; every field has one so that an empty file is a market.
        description: One sentence for ``configs/README.md``.
        unit: The unit ("cents", "days", "rate/year", "share", ...); empty for counts/names.
        **constraints: pydantic constraints such as ``ge``, ``le``, ``min_length``.
    """
    extra = {"unit": unit} if unit else {}
    if isinstance(default, (list, dict, BaseModel)):
        # Mutable defaults: every config gets its own copy.
        return Field(default_factory=lambda d=default: copy.deepcopy(d),
                     description=description, json_schema_extra=extra, **constraints)
    return Field(default, description=description, json_schema_extra=extra, **constraints)


PROBABILITY = {"ge": 0.0, "le": 1.0}


SAFE_NAME_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"
"""A name that may become part of a file path: letters, digits, ``_``, ``-`` and ``.`` (not
leading), 1 to 64 characters, no path separators. Run, experiment, scenario, channel,
lender and outcome names all follow it, so no config can place a file outside its folder."""


def name_param(default: str, description: str) -> Any:
    """A name field that is safe to use in file and folder names (see ``SAFE_NAME_PATTERN``)."""
    return Field(default, description=f"{description} Letters, digits, '_', '-' and '.' "
                 "(not leading), at most 64 characters.", pattern=SAFE_NAME_PATTERN)
