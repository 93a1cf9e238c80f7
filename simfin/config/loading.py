"""Loading YAML configs, applying ``dotted.path=value`` overrides, and explaining errors.

An override path names sections and fields by dots; a list item by its position (from 0)
or, for lenders, scenarios and channels, by its ``name``. A path ending in ``+`` adds its
value to a list instead of replacing a value (on the command line ``--set path+=value``):

- ``lenders.platform.risk.rules+=ITEM`` appends ITEM to the list ``rules``;
- ``lenders.platform.risk.rules.2+=ITEM`` inserts ITEM before item 2 (positions 0 to the
  list's length; ``lenders.bank+=...`` inserts a lender before the one named ``bank``).

A list the file does not give starts from the schema's default (an entry of a mapping, such
as ``macro.custom.demand.travel``, starts empty). Every override, added items included, is
validated with the whole config.

Every user mistake becomes a :class:`ConfigError` whose message is one line that names the
field and the reason, e.g. ``lenders.1.risk.approval_threshold: must be <= 1, got 1.7``.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simfin.config.base import SAFE_NAME_PATTERN, did_you_mean, section_class
from simfin.config.baseline import baseline_data
from simfin.config.schema import MarketConfig

MAX_FILE_BYTES = 1_000_000
"""A config file larger than this is refused before parsing (real ones are a few KB)."""
MAX_NODES = 100_000
"""Most values (mappings, lists and scalars, aliases counted once per use) a config may
hold: a YAML alias bomb of a few hundred bytes expands past it and is refused."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a config or an override value."""
MAX_OVERRIDE_CHARS = 10_000
"""Longest ``--set`` value text."""
EXCERPT_CHARS = 60
"""Echoed input is cut to this many characters, so an error is always one short line."""
MAX_MESSAGE_CHARS = 400
_INDEX = re.compile(r"[0-9]{1,6}")
ADD = "+"
"""The suffix of an override path that adds to a list (``rules+=item``, ``rules.2+=item``)."""


class ConfigError(ValueError):
    """A config, override or data file a user gave is wrong; the message is one line."""


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters: errors never echo a whole input."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints past the str-conversion limit, deep data
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def one_line(message: str) -> str:
    """A message as one line of bounded length."""
    text = " ".join(message.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else f"{text[: MAX_MESSAGE_CHARS - 3]}..."


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
        data = _set_path(data, path, value)
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


def _set_path(data: dict, dotted: str, value: Any) -> dict:
    """Set ``a.b.0.c`` in nested dicts/lists, filling in schema defaults for sections the
    file does not give (so ``lenders.1.risk...`` works on a file that lists no lenders).
    A path ending in ADD appends ``value`` to the list it names, or inserts it before the
    list item it names.
    """
    data = dict(data)
    add = dotted.endswith(ADD)
    keys = dotted.removesuffix(ADD).split(".")
    node: Any = data
    section: Any = MarketConfig  # the pydantic class describing ``node``, when known
    entries: Any = None  # the class of each entry when ``node`` is a mapping of sections
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            if last and add:
                node.insert(_insert_position(node, key, where), value)
                return data
            index = _list_index(node, key, where)
            if last:
                node[index] = value
                return data
            node[index] = _copy_container(node[index])
            node = node[index]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"{where}: {'.'.join(keys[:depth])} is not a section")
        field = section.model_fields.get(key) if section is not None else None
        if last:
            node[key] = _appended(node, key, section, value, where) if add else value
            return data
        if entries is not None:  # an entry of a mapping of sections (data.sources.NAME)
            node[key] = _copy_container(node.get(key) or {})
            section, entries, node = entries, None, node[key]
            continue
        if field is None:
            choices = section.model_fields if section is not None else node
            raise ConfigError(f"{_cut(where)}: unknown field"
                              f"{did_you_mean(key, choices)}")
        if node.get(key) is None:
            node[key] = _field_default(field)
        node[key] = _copy_container(node[key])
        section = section_class(field.annotation)
        if typing.get_origin(field.annotation) is dict:
            section, entries = None, section
        node = node[key]
    return data


def _list_index(items: list, key: str, where: str) -> int:
    """The position ``key`` addresses: a number, or the ``name`` of an item (lenders,
    scenarios and channels are addressed by name as in every output).
    """
    if _INDEX.fullmatch(key):
        if int(key) >= len(items):
            raise ConfigError(f"{where}: no item {key} (the list has {len(items)} items)")
        return int(key)
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if key in names:
        return names.index(key)
    known = [n for n in names if isinstance(n, str)]
    if not known:
        raise ConfigError(f"{_cut(where)}: expected an item number")
    raise ConfigError(one_line(f"{_cut(where)}: no item named {excerpt(key, 40)}"
                               f"{did_you_mean(key, known)}; names: "
                               f"{', '.join(known)}"))


def _appended(node: dict, key: str, section: Any, value: Any, where: str) -> list:
    """The list ``node[key]`` with ``value`` added. Not given (or null), it starts from the
    schema's default, or empty for an entry of a mapping (``macro.custom.demand.travel``).
    """
    current = node.get(key)
    if section is None:  # an entry of a mapping: no schema field describes it
        current, listed = [] if current is None else current, True
    else:
        field = section.model_fields.get(key)
        if field is None:
            raise ConfigError(f"{_cut(where)}: unknown field"
                              f"{did_you_mean(key, section.model_fields)}")
        listed = _is_list(field.annotation)
        if current is None and listed:
            current = _field_default(field)
    if not listed or not isinstance(current, list):
        raise ConfigError(f"{_cut(where)}{ADD}: '{ADD}=' adds an item to a list, and "
                          f"{key} is not a list (got {excerpt(current)})")
    return [*current, value]


def _insert_position(items: list, key: str, where: str) -> int:
    """The position ``rules.<key>+=`` inserts at: a number from 0 to ``len(items)``, or the
    position of the item with that name (the new item goes before it).
    """
    if _INDEX.fullmatch(key):
        if int(key) > len(items):
            raise ConfigError(f"{_cut(where)}{ADD}: cannot insert at position {key} (the list "
                              f"has {len(items)} items: insert at 0 to {len(items)})")
        return int(key)
    if key.lstrip("-").isdigit():
        raise ConfigError(f"{_cut(where)}{ADD}: positions count from 0 to {len(items)}, "
                          f"got {excerpt(key, 20)}")
    return _list_index(items, key, where)


def _is_list(annotation: Any) -> bool:
    """Whether a field's type is ``list[...]`` (or ``list[...] | None``)."""
    return any(typing.get_origin(arg) is list or arg is list
               for arg in (annotation, *typing.get_args(annotation)))


def _field_default(field: Any) -> Any:
    """A field's default as plain data; an empty section for optional sections."""
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return {}
    if isinstance(value, list):
        return [v.model_dump(mode="python") if hasattr(v, "model_dump") else v for v in value]
    return value.model_dump(mode="python") if hasattr(value, "model_dump") else value


def _copy_container(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def dump_config(config: MarketConfig) -> str:
    """The fully resolved config as YAML, loadable by :func:`load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
