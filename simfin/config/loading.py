"""Loading YAML configs and applying ``dotted.path=value`` overrides.

A config is a YAML file, a dict or nothing (the default market); overrides are set into its
plain data (:mod:`simfin.config.overrides` has their path grammar) and every override,
added items included, is validated with the whole config. YAML is read safely, within size,
depth and count limits. Every user mistake becomes a :class:`~simfin.config.errors.ConfigError`
whose message is one line that names the field and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simfin.config.baseline import baseline_data
from simfin.config.errors import ConfigError, describe_validation_error, excerpt, one_line
from simfin.config.overrides import ADD, set_path
from simfin.config.schema import MarketConfig

__all__ = ["ConfigError", "describe_validation_error", "dump_config", "load_config",
           "one_line", "parse_yaml", "resolve", "validate"]

MAX_FILE_BYTES = 1_000_000
"""A config file larger than this is refused before parsing (real ones are a few KB)."""
MAX_NODES = 100_000
"""Most values (mappings, lists and scalars, aliases counted once per use) a config may
hold: a YAML alias bomb of a few hundred bytes expands past it and is refused."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a config or an override value."""
MAX_OVERRIDE_CHARS = 10_000
"""Longest ``--set`` value text."""


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys (the last would silently win)."""

    def construct_mapping(self, node, deep=False):  # noqa: D102 (pyyaml hook)
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; pyyaml reports it below
                continue
            if duplicate:
                raise ConfigError(f"duplicate key {excerpt(key)} "
                                  f"(line {key_node.start_mark.line + 1})")
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, where: str, invalid: str = "not valid YAML") -> Any:
    """Parse YAML text safely (plain data only) within the size, depth and count limits.

    Raises:
        ConfigError: Naming ``where`` for unparsable, oversized or pathological input.
    """
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: {invalid}{at}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    except (ValueError, OverflowError) as exc:  # e.g. an int past Python's digit limit
        raise ConfigError(f"{where}: cannot read a value: {excerpt(str(exc))}") from None
    check_size(data, where)
    return data


def check_size(data: Any, where: str) -> None:
    """Refuse data nested deeper than MAX_DEPTH or holding more than MAX_NODES values."""
    stack = [(data, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ConfigError(f"{where}: too many values (at most {MAX_NODES:,}; "
                              "YAML aliases count at every use)")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            count += len(node)  # the keys
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1) for v in node)


def load_config(source: str | Path | dict | MarketConfig | None = None,
                overrides: list[str] | dict[str, Any] | None = None) -> MarketConfig:
    """Load and validate a market config.

    Args:
        source: A YAML file path, a dict, an existing config, or None for the default
            market (``configs/baseline.yaml``, :mod:`simfin.config.baseline`).
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
        check_size(source, "config")
        data = source
    elif source is None:
        data = baseline_data()
    else:
        data = _read_yaml(Path(source))
    for path, value in _parse_overrides(overrides):
        data = set_path(data, path, value)
    return validate(data)


def resolve(config: MarketConfig | str | Path | dict | None = None, steps: int | None = None,
            seed: int | None = None, overrides: list[str] | dict[str, Any] | None = None
            ) -> MarketConfig:
    """The config a run will use: file or dict, then overrides, then steps and seed
    (``simfin run`` checks it before importing the model, the runner and the writers).
    """
    extra: dict[str, Any] = {}
    if steps is not None:
        extra["run.steps"] = steps
    if seed is not None:
        extra["run.seed"] = seed
    if isinstance(overrides, dict):
        extra = {**overrides, **extra}
        return load_config(config, extra)
    base = load_config(config, overrides)
    return load_config(base, extra) if extra else base


def validate(data: dict) -> MarketConfig:
    """Validate a plain dict as a market config; errors become one-line ConfigErrors."""
    try:
        return MarketConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(one_line(describe_validation_error(exc))) from None
    except RecursionError:
        raise ConfigError(f"config: nested too deeply (at most {MAX_DEPTH} levels)") from None


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected a YAML file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: file too large (at most {MAX_FILE_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    # safe loading constructs only plain data: a !!python/object tag is an error here.
    data = parse_yaml(text, str(path))
    if data is None:
        raise ConfigError(f"{path}: the file is empty (write {{}} for the default market)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, "
                          f"got {type(data).__name__}")
    return data


def _parse_overrides(overrides: list[str] | dict[str, Any] | None) -> list[tuple[str, Any]]:
    """(path, value) pairs in the order given: ``--set rules+=a --set rules+=b`` adds both."""
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        check_size(overrides, "overrides")
        return list(overrides.items())
    parsed: list[tuple[str, Any]] = []
    for item in overrides:
        path, sep, text = item.partition("=")
        path = path.strip()
        if path.endswith(ADD):  # "rules += x" as "rules+=x"
            path = path.removesuffix(ADD).rstrip() + ADD
        if not sep or not path:
            raise ConfigError(f"override {excerpt(item)}: expected dotted.path=value")
        if len(path) > 200:
            raise ConfigError(f"override {excerpt(path)}: path too long")
        if len(text) > MAX_OVERRIDE_CHARS:
            raise ConfigError(f"{path}: override value too long (at most "
                              f"{MAX_OVERRIDE_CHARS:,} characters)")
        parsed.append((path, parse_yaml(text, path, "cannot parse override value")
                           if text.strip() else None))
    return parsed


def dump_config(config: MarketConfig) -> str:
    """The fully resolved config as YAML, loadable by :func:`load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
