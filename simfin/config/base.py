"""Common base for every config section: forbids unknown keys, documents units."""

from __future__ import annotations

import copy
import difflib
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of all config sections.

    Unknown keys are errors (a typo must never be silently ignored) and every
    assignment is validated, so overrides go through the same checks as files. Types are
    strict: ``steps: true`` or ``seed: "7"`` is an error, not a 1 or a 7 (YAML already gives
    numbers as numbers; an int is still accepted where a float is expected). Floats must be
    finite (``.inf`` and ``.nan`` are refused) unless a field is declared with
    ``param(..., finite=False)``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False,
                              strict=True, allow_inf_nan=False)


MAX_CENTS = 10**12
"""Upper bound of every money field (10 billion yuan): sums and products of amounts, rates
and day counts downstream stay far inside int64 (9.2e18)."""
MAX_COUNT = 10**9
"""Upper bound of every count, day or size field that states no tighter one."""
MAX_FACTOR = 10_000.0
"""Upper bound of every float field (weights, ratios, durations) that states no tighter one,
so that products of them with counts and amounts stay finite and inside numpy's samplers."""


def param(default: Any, description: str, unit: str = "", *, finite: bool = True,
          **constraints: Any) -> Any:
    """A config field with a default, a description, a unit and engine-safe bounds.

    Bounds are systematic so that every field, including ones added later, is refused at
    load rather than crashing a run: a money field (unit containing "cents") is at most
    :data:`MAX_CENTS`, any other int at most :data:`MAX_COUNT`, any other float at most
    :data:`MAX_FACTOR`, unless the field gives its own ``le``/``lt``; an added bound is
    stated in the description, so ``simfin config-doc`` shows it. Floats are finite
    (see :class:`Section`).

    Args:
        default: The default value; every field has one so that an empty file is a market.
        description: One sentence for ``configs/README.md``.
        unit: The unit ("cents", "days", "rate/year", "share", ...); empty for counts/names.
        finite: False for a float field that means ``inf`` or ``nan``.
        **constraints: pydantic constraints such as ``ge``, ``le``, ``min_length``.
    """
    extra = {"unit": unit} if unit else {}
    if not finite:
        constraints["allow_inf_nan"] = True
    numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
    if numeric and "le" not in constraints and "lt" not in constraints:
        if "cents" in unit:
            bound: float = MAX_CENTS
        elif isinstance(default, int):
            bound = MAX_COUNT
        else:
            bound = MAX_FACTOR
        constraints["le"] = bound
        description = f"{description} At most {bound:,g}." if isinstance(bound, float) \
            else f"{description} At most {bound:,}."
    if isinstance(default, (list, dict, BaseModel)):
        # Mutable defaults: every config gets its own copy.
        return Field(default_factory=lambda d=default: copy.deepcopy(d),
                     description=description, json_schema_extra=extra, **constraints)
    return Field(default, description=description, json_schema_extra=extra, **constraints)


PROBABILITY = {"ge": 0.0, "le": 1.0}


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string: for the loader's
    messages and the schema's own checks alike.
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_each(values: list, low: float, high: float, what: str = "factors") -> list:
    """Refuse a list field (factors by cohort, region, ...) with an item outside
    ``[low, high]``; for a ``field_validator``.
    """
    for value in values:
        if not low <= value <= high:
            raise ValueError(f"{what} must be in [{low:g}, {high:g}], got {value}")
    return values


def check_range(values: list, low: float, high: float, what: str) -> list:
    """Refuse a ``[lowest, highest]`` pair that is not inside ``[low, high]``, lowest first;
    for a ``field_validator`` of a two-item list field.
    """
    if not low <= values[0] <= values[1] <= high:
        raise ValueError(f"must be [lowest, highest] {what} with {low:g} <= lowest <= "
                         f"highest <= {high:g}, got {values}")
    return values


SAFE_NAME_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"
"""A name that may become part of a file path: letters, digits, ``_``, ``-`` and ``.`` (not
leading), 1 to 64 characters, no path separators. Run, experiment, scenario, channel,
lender and outcome names all follow it, so no config can place a file outside its folder."""


def name_param(default: str, description: str) -> Any:
    """A name field that is safe to use in file and folder names (see ``SAFE_NAME_PATTERN``)."""
    return Field(default, description=f"{description} Letters, digits, '_', '-' and '.' "
                 "(not leading), at most 64 characters.", pattern=SAFE_NAME_PATTERN)


def section_class(annotation: Any) -> type[BaseModel] | None:
    """The config section class inside ``X``, ``X | None`` or ``list[X]``, or None.

    Both the override walker and the field reference need to step into nested sections.
    """
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
