"""Generate the field reference of ``configs/README.md`` from the schema itself, so that
the documentation cannot drift from the code (a test compares the two).
"""

from __future__ import annotations

import json
import typing

from pydantic import BaseModel

from simfin.config.base import section_class
from simfin.config.schema import MarketConfig


def _default_value(field):
    return field.default_factory() if field.default_factory is not None else field.default


def _default_text(value) -> str:
    if isinstance(value, BaseModel):
        return "(section)"
    if isinstance(value, list) and value and isinstance(value[0], (BaseModel, dict)):
        return f"({len(value)} items)"
    return json.dumps(value)


def _rows(model: type[BaseModel], prefix: str, instance: BaseModel | None = None
          ) -> list[str]:
    """Rows of a section's fields. ``instance`` is the section's default as its parent
    sets it (``payments.bank_transfer`` is a rail with a 240-minute latency, not the rail
    class's 1 minute): its values are the defaults that apply.
    """
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = extra.get("unit", "")
        description = (field.description or "").replace("|", "\\|")
        value = getattr(instance, name) if instance is not None else _default_value(field)
        default = extra.get("default_text") or _default_text(value)
        rows.append(f"| `{path}` | {default} | {unit} | {description} |")
        section = section_class(field.annotation)
        if section is not None:
            origin = typing.get_origin(field.annotation)
            if origin is list:  # an item added to the list takes the item class's defaults
                rows.extend(_rows(section, f"{path}.N."))
            elif origin is dict:  # so does an entry of a mapping, by its name
                rows.extend(_rows(section, f"{path}.NAME."))
            else:
                rows.extend(_rows(section, f"{path}.",
                                  value if isinstance(value, BaseModel) else None))
    return rows


def field_reference() -> str:
    """Markdown table of every field: dotted path, default, unit, description."""
    header = ["| field | default | unit | description |", "|---|---|---|---|"]
    return "\n".join(header + _rows(MarketConfig, ""))


def rule_field_table() -> str:
    """Markdown table of the application fields rules and models can read (with the
    built-in data sources; a plug-in source adds its own).
    """
    from simfin.lending.registry import BUILT_IN_SOURCES, SOURCES

    rows = ["| field | source | meaning |", "|---|---|---|"]
    for name, (meaning, source) in SOURCES.catalogue(BUILT_IN_SOURCES).items():
        rows.append(f"| `{name}` | {source or 'applicant / session'} | {meaning} |")
    return "\n".join(rows)
