"""User mistakes in configs: :class:`ConfigError` and the one-line messages that explain them.

Every message names the field and the reason and never echoes a whole input, e.g.
``lenders.1.risk.approval_threshold: must be <= 1, got 1.7``.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import ValidationError

from simfin.config.base import SAFE_NAME_PATTERN, did_you_mean, section_class
from simfin.config.schema import MarketConfig

EXCERPT_CHARS = 60
"""Echoed input is cut to this many characters, so an error is always one short line."""
MAX_MESSAGE_CHARS = 400


class ConfigError(ValueError):
    """A config, override or data file a user gave is wrong; the message is one line."""


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters: errors never echo a whole input."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints past the str-conversion limit, deep data
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def cut(text: str, limit: int = 120) -> str:
    """A field path or text cut to ``limit`` characters."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def one_line(message: str) -> str:
    """A message as one line of bounded length."""
    text = " ".join(message.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else f"{text[: MAX_MESSAGE_CHARS - 3]}..."


def describe_validation_error(exc: ValidationError) -> str:
    """The first pydantic error as ``dotted.field: reason, got value``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "config"
    kind = err["type"]
    ctx = err.get("ctx", {})
    got = err.get("input")
    if kind == "extra_forbidden":
        reason = "unknown field" + did_you_mean(err["loc"][-1], _fields_at(err["loc"][:-1]))
    elif kind in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
        op = {"less_than_equal": "<=", "less_than": "<", "greater_than_equal": ">=",
              "greater_than": ">"}[kind]
        limit = next(iter(ctx.values()))
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # "must be <= 1", not "<= 1.0"
        reason = f"must be {op} {limit}, got {excerpt(got)}"
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == SAFE_NAME_PATTERN:
        reason = ("must be a safe name (letters, digits, '_', '-' and '.' not leading, 1 to 64 "
                  f"characters; it becomes part of file names), got {excerpt(got)}")
    elif kind == "value_error":
        reason = str(ctx.get("error", err["msg"]))
    else:
        msg = err["msg"].lower()
        reason = f"{msg}, got {excerpt(got)}" if got is not None else msg
    if where == "config" and (reason.partition(":")[0].split(".")[0]
                              in MarketConfig.model_fields):
        # "lenders: names must be unique", "channels.2.owner: no lender named ..."
        where, _, reason = reason.partition(": ")
    n_more = len(exc.errors()) - 1
    suffix = f" (and {n_more} more error{'s' if n_more > 1 else ''})" if n_more else ""
    return f"{where}: {reason}{suffix}"


def _fields_at(loc: tuple) -> list[str]:
    """Field names of the config section at a pydantic error location (list indexes
    skipped), for "did you mean" suggestions.
    """
    section: Any = MarketConfig
    entry = False  # the next key names an entry of a mapping of sections
    for key in loc:
        if isinstance(key, int) or section is None or entry:
            entry = False
            continue
        field = section.model_fields.get(key)
        section = section_class(field.annotation) if field is not None else None
        entry = field is not None and typing.get_origin(field.annotation) is dict
    return list(section.model_fields) if section is not None else []
