"""Loading YAML configs, applying ``dotted.path=value`` overrides, and explaining errors.

Every user mistake becomes a :class:`ConfigError` whose message is one line that names the
field and the reason, e.g. ``lenders.1.risk.approval_threshold: must be <= 1, got 1.7``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simfin.config.schema import MarketConfig


class ConfigError(ValueError):
    """A config, override or data file a user gave is wrong; the message is one line."""


def load_config(source: str | Path | dict | MarketConfig | None = None,
                overrides: list[str] | dict[str, Any] | None = None) -> MarketConfig:
    """Load and validate a market config.

    Args:
        source: A YAML file path, a dict, an existing config, or None for the defaults.
        overrides: ``["lenders.1.risk.approval_threshold=0.4", ...]`` or a dict of dotted
            paths to values, applied after loading; values are parsed as YAML scalars.

    Returns:
        The validated config.

    Raises:
        ConfigError: With a one-line message naming the field and the reason.
    """
    if isinstance(source, MarketConfig):
        data = source.model_dump(mode="python")
    elif isinstance(source, dict):
        data = source
    elif source is None:
        data = {}
    else:
        data = _read_yaml(Path(source))
    for path, value in _parse_overrides(overrides).items():
        data = _set_path(data, path, value)
    return validate(data)


def validate(data: dict) -> MarketConfig:
    """Validate a plain dict as a market config; errors become one-line ConfigErrors."""
    try:
        return MarketConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first pydantic error as ``dotted.field: reason, got value``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "config"
    kind = err["type"]
    ctx = err.get("ctx", {})
    got = err.get("input")
    if kind == "extra_forbidden":
        reason = "unknown field"
    elif kind in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
        op = {"less_than_equal": "<=", "less_than": "<", "greater_than_equal": ">=",
              "greater_than": ">"}[kind]
        limit = next(iter(ctx.values()))
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # "must be <= 1", not "<= 1.0"
        reason = f"must be {op} {limit}, got {got!r}"
    elif kind == "value_error":
        reason = str(ctx.get("error", err["msg"]))
    else:
        reason = f"{err['msg'].lower()}, got {got!r}" if got is not None else err["msg"].lower()
    if where == "config" and reason.partition(":")[0] in MarketConfig.model_fields:
        where, _, reason = reason.partition(": ")  # "lenders: names must be unique"
    n_more = len(exc.errors()) - 1
    suffix = f" (and {n_more} more error{'s' if n_more > 1 else ''})" if n_more else ""
    return f"{where}: {reason}{suffix}"


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected a YAML file")
    try:
        # safe_load constructs only plain data: a !!python/object tag is an error here.
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, "
                          f"got {type(data).__name__}")
    return data


def _parse_overrides(overrides: list[str] | dict[str, Any] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    parsed: dict[str, Any] = {}
    for item in overrides:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise ConfigError(f"override {item!r}: expected dotted.path=value")
        try:
            parsed[path.strip()] = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"{path.strip()}: cannot parse override value {text!r}") from None
    return parsed


def _set_path(data: dict, dotted: str, value: Any) -> dict:
    """Set ``a.b.0.c`` in nested dicts/lists, filling in schema defaults for sections the
    file does not give (so ``lenders.1.risk...`` works on a file that lists no lenders).
    """
    data = dict(data)
    keys = dotted.split(".")
    node: Any = data
    section: Any = MarketConfig  # the pydantic class describing ``node``, when known
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(f"{where}: no item {key} (the list has {len(node)} items)")
            index = int(key)
            if last:
                node[index] = value
                return data
            node[index] = _copy_container(node[index])
            node = node[index]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"{where}: {'.'.join(keys[:depth])} is not a section")
        if last:
            node[key] = value
            return data
        field = section.model_fields.get(key) if section is not None else None
        if field is None:
            raise ConfigError(f"{where}: unknown field")
        if node.get(key) is None:
            node[key] = _field_default(field)
        node[key] = _copy_container(node[key])
        section = _item_class(field.annotation)
        node = node[key]
    return data


def _field_default(field: Any) -> Any:
    """A field's default as plain data; an empty section for optional sections."""
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return {}
    if isinstance(value, list):
        return [v.model_dump(mode="python") if hasattr(v, "model_dump") else v for v in value]
    return value.model_dump(mode="python") if hasattr(value, "model_dump") else value


def _item_class(annotation: Any) -> Any:
    """The config class inside ``X``, ``X | None`` or ``list[X]``, or None."""
    import typing

    from pydantic import BaseModel

    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _copy_container(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def dump_config(config: MarketConfig) -> str:
    """The fully resolved config as YAML, loadable by :func:`load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
