"""Named registries of pluggable parts: pipeline stages, scoring models, pricing policies,
data sources, reject-inference methods and lender strategies.

Strategies are chosen in config by name; a researcher adds one with a decorator::

    from simfin.lending import register_scorer

    @register_scorer("my_forest")
    def make_forest():
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier(n_estimators=50, min_samples_leaf=20)

A data source is registered with the fields it provides (``register_source``, see
``docs/adding_a_data_source.md``): they join the application fields rules and models read.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simfin.lending.fields import LENDER_FIELDS, STATED_FIELDS

# The built-in sources, in the order of their bits in a batch's ``data_queried`` column
# (bit ``i``: source ``BUILT_IN_SOURCES[i]`` was queried); plug-ins take the next bits.
BUILT_IN_SOURCES = ("bureau", "id_registry", "social_security", "consortium",
                    "service_profile")


class Registry:
    """A name -> factory mapping with a clear error for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that registers ``factory`` under ``name`` (replacing an earlier one)."""
        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._factories[name] = factory
            return factory
        return decorate

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the factory registered under ``name``."""
        return self.get(name)(*args, **kwargs)

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered under ``name``; ValueError naming the choices otherwise."""
        try:
            return self._factories[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; registered: "
                             f"{', '.join(sorted(self._factories))}") from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        return name in self._factories


@dataclass(frozen=True)
class SourceDeclaration:
    """What a registered data source provides.

    Attributes:
        fields: Field name -> what it means (for the field list of configs/README.md).
        miss_values: Value of a field for a consumer the source has no record of, when a
            miss is itself information (``bureau_hit`` is 0); other fields are NaN.
        listed: Whether a lender buys the source by listing it in ``risk.data_sources``;
            False for a source the pipeline adds itself (the unified service platform's
            ``service_profile``).
        settings: The config section class of the source's own parameters
            (``data.sources.<name>.settings``, checked when the config is loaded); None: the
            source takes none.
    """

    fields: Mapping[str, str]
    miss_values: Mapping[str, float] = field(default_factory=dict)
    listed: bool = True
    settings: type | None = None


class SourceRegistry(Registry):
    """Data sources by name: a factory and the fields the source provides.

    The fields of every registered source are application fields: a rule may read them,
    and a lender that does not query the source sees NaN.
    """

    def __init__(self) -> None:
        super().__init__("data source")
        self._declared: dict[str, SourceDeclaration] = {}

    def register(self, name: str, fields: Mapping[str, str] | None = None,  # type: ignore[override]
                 miss_values: Mapping[str, float] | None = None, listed: bool = True,
                 settings: type | None = None
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that registers a source's factory under ``name`` with its fields.

        Args:
            name: The source's name (``lenders.N.risk.data_sources``, ``data.sources``).
            fields: Field name -> description. A plug-in's field names start with the
                source's name and ``_`` (``telecom_months_on_number``), so that they never
                take the name of another column of the batch.
            miss_values: Field -> value for a consumer without a record (default NaN).
            listed: False for a source a lender does not list (the pipeline adds it).
            settings: A config section class (a ``simfin.config.base.Section``) of the
                source's own parameters, with their defaults, units and bounds: the config's
                ``data.sources.<name>.settings`` is checked against it when it is loaded,
                and the factory reads it as ``build.settings``. None: no settings.

        Raises:
            ValueError: A bad name, no fields, a field that is not a name or that another
                source or the applicant provides, a miss value for an unknown field.
        """
        declaration = self._checked(name, dict(fields or {}), dict(miss_values or {}), listed,
                                    settings)
        register = super().register(name)

        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._declared[name] = declaration
            return register(factory)
        return decorate

    def _checked(self, name: str, fields: dict[str, str], misses: dict[str, float],
                 listed: bool, settings: type | None) -> SourceDeclaration:
        what = f"data source {name!r}"
        if not (isinstance(name, str) and name.isidentifier()) or keyword.iskeyword(name):
            raise ValueError(f"{what}: the name must be a Python-style identifier")
        if not fields:
            raise ValueError(f"{what}: declare the fields it provides (name -> description)")
        taken = {**{f: "the applicant" for f in STATED_FIELDS},
                 **{f: "the lender" for f in LENDER_FIELDS},
                 **{f: repr(other) for other, d in self._declared.items() if other != name
                    for f in d.fields}}
        for field_name, description in fields.items():
            if not field_name.isidentifier() or keyword.iskeyword(field_name):
                raise ValueError(f"{what}: field {field_name!r} is not a name a rule can read")
            if name not in BUILT_IN_SOURCES and not field_name.startswith(f"{name}_"):
                raise ValueError(f"{what}: field {field_name!r} must start with '{name}_'")
            if field_name in taken:
                raise ValueError(f"{what}: field {field_name!r} is already provided by "
                                 f"{taken[field_name]}")
            if not isinstance(description, str) or not description.strip():
                raise ValueError(f"{what}: field {field_name!r} needs a description")
        for field_name, value in misses.items():
            if field_name not in fields:
                raise ValueError(f"{what}: miss value for {field_name!r}, which it does not "
                                 "provide")
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{what}: miss value of {field_name!r} must be a number")
        if settings is not None and not callable(getattr(settings, "model_validate", None)):
            raise ValueError(f"{what}: settings must be a config section class "
                             "(simfin.config.base.Section)")
        return SourceDeclaration(fields, {k: float(v) for k, v in misses.items()}, listed,
                                 settings)

    def declared(self, name: str) -> SourceDeclaration:
        """What source ``name`` provides; ValueError naming the choices if unregistered."""
        self.get(name)
        return self._declared[name]

    def catalogue(self, sources: Iterable[str] | None = None) -> dict[str, tuple[str, str]]:
        """The application fields, name -> (description, provider): what the applicant
        states and the session shows, the fields of ``sources`` (None: every registered
        source, built-ins first), and what the lender knows itself.
        """
        if sources is None:
            sources = [*BUILT_IN_SOURCES, *sorted(set(self._declared) - set(BUILT_IN_SOURCES))]
        out = dict(STATED_FIELDS)
        for source in sources:
            out.update({f: (description, source)
                        for f, description in self.declared(source).fields.items()})
        out.update(LENDER_FIELDS)
        return out

    def field_names(self) -> frozenset[str]:
        """Every field a rule may read: the catalogue of all registered sources."""
        return frozenset(self.catalogue())

    def source_fields(self) -> frozenset[str]:
        """The fields of every registered source (bought data: read after the queries)."""
        return frozenset(f for d in self._declared.values() for f in d.fields)


SCORERS = Registry("scoring model")
PRICING = Registry("pricing policy")
STAGES = Registry("pipeline stage")
STRATEGIES = Registry("lender strategy")
SOURCES = SourceRegistry()
REJECT_INFERENCE = Registry("reject-inference method")
register_scorer = SCORERS.register
register_pricing = PRICING.register
register_stage = STAGES.register
register_source = SOURCES.register
register_reject_inference = REJECT_INFERENCE.register
register_strategy = STRATEGIES.register
