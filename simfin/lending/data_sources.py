"""External data sources a lender may query: credit bureau, ID registry, social security,
and the lenders' information-sharing consortium.

A source holds its records as arrays indexed by consumer id (handed over by the market when
it is built) and answers a lookup for a batch's rows, at a cost per query and a latency.
A consumer it does not cover gets NaN: what a lender does not query, or what the source
does not hold, the lender does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simfin.lending.batch import ApplicationBatch, nan_where
from simfin.lending.pipeline import DecisionContext, Stage

# Bit ``i`` of a batch's ``data_queried`` column: source ``QUERYABLE_SOURCES[i]`` was queried
# for the row (applications.parquet names them).
QUERYABLE_SOURCES = ("bureau", "id_registry", "social_security", "consortium",
                     "service_profile")


@dataclass
class DataSource:
    """One external data source.

    Attributes:
        name: ``bureau``, ``id_registry``, ``social_security``, ``consortium`` ...
        covered: Boolean per consumer id: whether the source has a record.
        fields: Field name -> a function of (consumer ids, day) returning the values
            (records change over time, e.g. loans at other lenders).
        cost_cents: Price of one query.
        latency_minutes: Time one query adds to the decision.
        miss_values: Value of a field for a consumer without a record, when a miss is
            itself information (``bureau_hit`` is 0); other fields are NaN.
    """

    name: str
    covered: np.ndarray
    fields: Mapping[str, Callable[[np.ndarray], np.ndarray]]
    cost_cents: int
    latency_minutes: float
    miss_values: Mapping[str, float] = field(default_factory=dict)
    active: bool = True  # a source the regulator has not opened (yet) is not queried
    per_lender: Callable[[int], Mapping[str, Callable[[np.ndarray], np.ndarray]]] | None = None
    # Per lender, whether it shares its records with the source (a shared source such as
    # the consortium; its fields read this array); None for a source nobody shares with.
    members: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._everyone = bool(np.all(self.covered))

    def lookup(self, consumers: np.ndarray,
               fields: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None
               ) -> dict[str, np.ndarray]:
        """Values of every field (``fields``, or the source's) for the consumers, NaN where
        the source has no record.
        """
        hit = None if self._everyone else self.covered.take(consumers)
        out = {}
        for name, read in (self.fields if fields is None else fields).items():
            values = np.asarray(read(consumers), dtype=np.float32)
            if hit is not None:
                values = _mask_misses(values, hit, self.miss_values.get(name, np.nan))
            out[name] = values
        return out

    def set_open(self, is_open: bool) -> None:
        """Open or close the source (the regulator's data-sharing mandate): a mandate that
        opens a shared source makes every lender a member.
        """
        self.active = is_open
        if is_open and self.members is not None:
            self.members[:] = True

    def for_lender(self, lender: int) -> DataSource | LenderView:
        """What ``lender`` gets from the source: the source itself, or, for a source whose
        answer depends on who asks (``per_lender``: the consortium reports what the other
        members know, not the asker's own loans), a view that answers with its fields.
        """
        return self if self.per_lender is None else LenderView(self, self.per_lender(lender))


class LenderView:
    """One lender's view of a shared source: fields of its own, and everything else the
    source's (name, coverage, misses, price, speed, and its state: the regulator opens and
    closes it for everyone), read from the source itself.

    Args:
        source: The shared source.
        fields: Field name -> a function of consumer ids, for this lender.
    """

    def __init__(self, source: DataSource,
                 fields: Mapping[str, Callable[[np.ndarray], np.ndarray]]) -> None:
        self.source = source
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        # Only for what the view does not hold itself (``name``, ``covered``, ``active``,
        # ...): the shared source's, as it is now.
        if name == "source":  # not set yet (unpickling, copying): no recursion
            raise AttributeError(name)
        return getattr(self.source, name)

    def lookup(self, consumers: np.ndarray) -> dict[str, np.ndarray]:
        """This lender's fields for the consumers (see :meth:`DataSource.lookup`)."""
        return self.source.lookup(consumers, self.fields)


def _mask_misses(values: np.ndarray, hit: np.ndarray, miss: float) -> np.ndarray:
    """``np.where(hit, values, miss)`` without a branch per row (the same values)."""
    if np.isnan(miss):
        return nan_where(~hit, values)
    if not np.isfinite(values).all():
        return np.where(hit, values, np.float32(miss))
    out = values * hit
    out += ~hit * np.float32(miss)
    return out


class DataSourceStage(Stage):
    """Pipeline stage: query the lender's data sources for the pending rows, and mark
    which were queried in ``data_queried`` (bit ``i``: ``QUERYABLE_SOURCES[i]``).

    Queries run in parallel, so the decision waits for the slowest source. Each query is
    paid for, whether or not the source has a record.
    """

    row_wise = True

    def __init__(self, sources: list[DataSource | LenderView]) -> None:
        unknown = [s.name for s in sources if s.name not in QUERYABLE_SOURCES]
        if unknown:
            raise ValueError(f"unknown data sources {unknown}; known: {QUERYABLE_SOURCES}")
        self.sources = sources
        self._queried_bits = np.int64(sum(1 << QUERYABLE_SOURCES.index(s.name)
                                          for s in sources))

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Fill the sources' fields for the pending rows; charge ``data_cost``."""
        pending = batch.pending
        rows = np.flatnonzero(pending)
        if len(rows) == 0 or not self.sources:
            return batch
        everyone = len(rows) == batch.n
        consumers = batch["consumer"] if everyone else batch["consumer"].take(rows)
        consumers = consumers.astype(np.intp)  # converted once, not in every lookup
        latency = 0.0
        for source in self.sources:
            if not source.active:
                continue
            for name, values in source.lookup(consumers).items():
                if everyone:
                    batch[name] = values
                else:
                    batch[name][rows] = values
            batch.charge("data_cost", len(rows) * source.cost_cents)
            latency = max(latency, source.latency_minutes)
        batch["decision_minutes"] += pending * np.float32(latency)
        batch["data_queried"] |= pending * self._queried_bits
        return batch
