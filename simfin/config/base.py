"""Common base for every config section: forbids unknown keys, documents units."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of all config sections.

    Unknown keys are errors (a typo must never be silently ignored) and every
    assignment is validated, so overrides go through the same checks as files.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def param(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """A config field with a default, a description and a unit.

    Args:
        default: The default value; every field has one so that an empty file is a market.
        description: One sentence for ``configs/README.md``.
        unit: The unit ("cents", "days", "rate/year", "share", ...); empty for counts/names.
        **constraints: pydantic constraints such as ``ge``, ``le``, ``min_length``.
    """
    extra = {"unit": unit} if unit else {}
    if isinstance(default, (list, dict)) or isinstance(default, BaseModel):
        factory = (lambda d=default: d.model_copy(deep=True)) if isinstance(
            default, BaseModel
        ) else (lambda d=default: _deep_copy(d))
        return Field(
            default_factory=factory, description=description, json_schema_extra=extra,
            **constraints,
        )
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def _deep_copy(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)


PROBABILITY = {"ge": 0.0, "le": 1.0}
