"""Override paths: ``dotted.path=value`` set into a config's plain data.

A path names sections and fields by dots; a list item by its position (from 0) or, for
lenders, scenarios and channels, by its ``name``. A path ending in ``+`` adds its value to a
list instead of replacing a value (on the command line ``--set path+=value``):

- ``lenders.platform.risk.rules+=ITEM`` appends ITEM to the list ``rules``;
- ``lenders.platform.risk.rules.2+=ITEM`` inserts ITEM before item 2 (positions 0 to the
  list's length; ``lenders.bank+=...`` inserts a lender before the one named ``bank``).

A list the file does not give starts from the schema's default (an entry of a mapping, such
as ``macro.custom.demand.travel``, starts empty).
"""

from __future__ import annotations

import re
import typing
from typing import Any

from simfin.config.base import did_you_mean, section_class
from simfin.config.errors import ConfigError, cut, excerpt, one_line
from simfin.config.schema import MarketConfig

_INDEX = re.compile(r"[0-9]{1,6}")
ADD = "+"
"""The suffix of an override path that adds to a list (``rules+=item``, ``rules.2+=item``)."""


def set_path(data: dict, dotted: str, value: Any) -> dict:
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
            raise ConfigError(f"{cut(where)}: unknown field"
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
        raise ConfigError(f"{cut(where)}: expected an item number")
    raise ConfigError(one_line(f"{cut(where)}: no item named {excerpt(key, 40)}"
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
            raise ConfigError(f"{cut(where)}: unknown field"
                              f"{did_you_mean(key, section.model_fields)}")
        listed = _is_list(field.annotation)
        if current is None and listed:
            current = _field_default(field)
    if not listed or not isinstance(current, list):
        raise ConfigError(f"{cut(where)}{ADD}: '{ADD}=' adds an item to a list, and "
                          f"{key} is not a list (got {excerpt(current)})")
    return [*current, value]


def _insert_position(items: list, key: str, where: str) -> int:
    """The position ``rules.<key>+=`` inserts at: a number from 0 to ``len(items)``, or the
    position of the item with that name (the new item goes before it).
    """
    if _INDEX.fullmatch(key):
        if int(key) > len(items):
            raise ConfigError(f"{cut(where)}{ADD}: cannot insert at position {key} (the list "
                              f"has {len(items)} items: insert at 0 to {len(items)})")
        return int(key)
    if key.lstrip("-").isdigit():
        raise ConfigError(f"{cut(where)}{ADD}: positions count from 0 to {len(items)}, "
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
