"""Named registries of pluggable parts: pipeline stages, scoring models, pricing policies,
lender strategies.

Strategies are chosen in config by name; a researcher adds one with a decorator::

    from simfin.lending import register_scorer

    @register_scorer("my_forest")
    def make_forest():
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier(n_estimators=50, min_samples_leaf=20)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


SCORERS = Registry("scoring model")
PRICING = Registry("pricing policy")
STAGES = Registry("pipeline stage")
STRATEGIES = Registry("lender strategy")
register_scorer = SCORERS.register
register_pricing = PRICING.register
register_stage = STAGES.register
register_strategy = STRATEGIES.register
