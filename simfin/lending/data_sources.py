"""External data sources a lender may query: credit bureau, ID registry, social security,
the lenders' information-sharing consortium, and any source a plug-in registers.

A source holds its records as arrays indexed by consumer id and answers a lookup for a
batch's rows, at a cost per query and a latency. A consumer it does not cover gets NaN:
what a lender does not query, or what the source does not hold, the lender does not know.

Each source is built by a factory registered in ``SOURCES`` with the fields it provides
(the built-ins in ``simfin.lending.sources``, one module each); :func:`build_sources`
builds the market's from a :class:`SourceBuild`. The population and the config are read by
attribute only, so this package stays free of the agents and the config package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simfin.lending.batch import ApplicationBatch, nan_where
from simfin.lending.pipeline import DecisionContext, Stage
from simfin.lending.registry import BUILT_IN_SOURCES, SOURCES, SourceDeclaration

MAX_SOURCES = 63
"""Most data sources in one market: each has a bit of the int64 ``data_queried`` column
(the 64th is the sign)."""

Fields = Mapping[str, Callable[[np.ndarray], np.ndarray]]


def source_layout(market: Any) -> tuple[str, ...]:
    """The data sources of a market, in the order of their ``data_queried`` bits: the
    built-ins (:data:`BUILT_IN_SOURCES`, bits fixed), then the plug-ins ``data.sources``
    gives, then those the lenders list that it does not (in lender order).

    Args:
        market: The market config (read by attribute).
    """
    names = list(BUILT_IN_SOURCES)
    listed = [name for lender in market.lenders
              for risk in [lender.risk] + ([lender.challenger.risk] if lender.challenger
                                           else [])
              for name in risk.data_sources]
    for name in [*market.data.sources, *listed]:
        if name not in names:
            names.append(name)
    return tuple(names)


def market_fields(market: Any) -> list[str]:
    """The application fields of a market: the applicant's, its sources' and the lender's
    own (``SOURCES.catalogue`` of :func:`source_layout`).
    """
    return list(SOURCES.catalogue(source_layout(market)))


@dataclass
class DataSource:
    """One external data source.

    Attributes:
        name: ``bureau``, ``id_registry``, ``social_security``, ``consortium`` ...
        covered: Boolean per consumer id: whether the source has a record.
        fields: Field name -> a function of consumer ids returning the values (records
            change over time, e.g. loans at other lenders).
        cost_cents: Price of one query.
        latency_minutes: Time one query adds to the decision.
        miss_values: Value of a field for a consumer without a record, when a miss is
            itself information (``bureau_hit`` is 0); other fields are NaN.
        active: Whether lenders can query it (a source the regulator has not opened yet
            is not queried).
        bit: The source's bit in a batch's ``data_queried`` column.
    """

    name: str
    covered: np.ndarray
    fields: Fields
    cost_cents: int
    latency_minutes: float
    miss_values: Mapping[str, float] = field(default_factory=dict)
    active: bool = True
    bit: int = 0

    def __post_init__(self) -> None:
        self._everyone = bool(np.all(self.covered))

    def lookup(self, consumers: np.ndarray, fields: Fields | None = None
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
        """Open or close the source (the regulator's data-access mandate)."""
        self.active = is_open

    def for_lender(self, lender: int) -> DataSource | LenderView:
        """What ``lender`` gets from the source: the source itself here; a shared source
        whose answer depends on who asks returns a :class:`LenderView`.
        """
        return self


class LenderView:
    """One lender's view of a shared source: fields of its own, and everything else the
    source's (name, coverage, misses, price, speed, bit, and its state: the regulator
    opens and closes it for everyone), read from the source itself.

    Args:
        source: The shared source.
        fields: Field name -> a function of consumer ids, for this lender.
    """

    def __init__(self, source: DataSource, fields: Fields) -> None:
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


@dataclass
class SourceBuild:
    """What a data-source factory builds its source from.

    Attributes:
        name: The source's name (registered, and in the market's layout).
        market: The market config (``simfin.config.MarketConfig``).
        population: The consumers' columns by consumer id (``simfin.agents.Population``,
            read by attribute: hidden state, of which the source reveals its fields).
        section: The source's config section: ``data.<name>`` for a built-in,
            ``data.sources.<name>`` for a plug-in (``coverage``, ``cost_cents``,
            ``latency_minutes``, ``settings``).
        rng: Draws which consumers the source covers (fixed for the run). The built-ins
            draw from the market's stream, in :data:`BUILT_IN_SOURCES` order; a plug-in
            gets a stream of its own spawned from it, so that adding a source leaves every
            other draw of the market as it was.
        day_of: Returns the current day (records such as employment change over time).
        delinquent: Returns the borrower and the lender of each loan past due today (the
            consortium calls it once a day, at the day's first query: loans turn past due
            or current only in the servicing that ends a day, after its lending).
        bit: The source's bit in ``data_queried``.
    """

    name: str
    market: Any
    population: Any
    section: Any
    rng: np.random.Generator
    day_of: Callable[[], int]
    delinquent: Callable[[], tuple[np.ndarray, np.ndarray]]
    bit: int

    @property
    def settings(self) -> Any:
        """The source's own parameters (``data.sources.<name>.settings``): an instance of
        the settings section it was registered with (its defaults where the config gives
        none); an empty dict for a source registered without one.
        """
        given = dict(getattr(self.section, "settings", None) or {})
        model = self.declared.settings
        return given if model is None else model.model_validate(given)

    @property
    def declared(self) -> SourceDeclaration:
        """The fields the source was registered with."""
        return SOURCES.declared(self.name)

    def coverage(self) -> np.ndarray:
        """Which consumers the source has a record of: ``section.coverage`` of them, drawn
        from :attr:`rng` (one draw per consumer).
        """
        return self.rng.random(self.population.n) < self.section.coverage

    def source(self, covered: np.ndarray, fields: Fields, **options: Any) -> DataSource:
        """A :class:`DataSource` of this name, price, speed, bit and declared miss values.

        Args:
            covered: Boolean per consumer id: whether the source has a record.
            fields: Field name -> a function of consumer ids (the declared fields).
            **options: Further :class:`DataSource` attributes (``active``).
        """
        return DataSource(self.name, covered, fields, self.section.cost_cents,
                          self.section.latency_minutes, self.declared.miss_values,
                          bit=self.bit, **options)


SourceFactory = Callable[[SourceBuild], DataSource | None]


def build_sources(market: Any, population: Any, day_of: Callable[[], int] = lambda: 0,
                  rng: np.random.Generator | None = None,
                  delinquent: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
                  ) -> dict[str, DataSource]:
    """The data sources of the market, by name, each built by its registered factory (a
    factory returns None for a source absent from this market: the consortium without
    the policy that opens it).

    Args:
        market: The market config.
        population: The consumers.
        day_of: Returns the current day.
        rng: The market's stream (coverage draws).
        delinquent: Returns the borrower and the lender of each loan past due today (the
            consortium's members share them); None: none.

    Raises:
        ValueError: A factory's source does not provide the fields it was registered with.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    if delinquent is None:
        def delinquent() -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(0, np.int32), np.zeros(0, np.int16)
    sources = {}
    for bit, name in enumerate(source_layout(market)):
        own = rng if name in BUILT_IN_SOURCES else rng.spawn(1)[0]
        build = SourceBuild(name, market, population, market.data.section(name), own, day_of,
                            delinquent, bit)
        source = SOURCES.create(name, build)
        if source is None:
            continue
        declared = set(build.declared.fields)
        if source.name != name or set(source.fields) != declared:
            raise ValueError(f"data source {name!r}: its factory built {source.name!r} with "
                             f"fields {sorted(source.fields)}, registered with "
                             f"{sorted(declared)}")
        sources[name] = source
    return sources


class DataSourceStage(Stage):
    """Pipeline stage: query the lender's data sources for the pending rows, and mark
    which were queried in ``data_queried`` (bit ``source.bit``).

    Queries run in parallel, so the decision waits for the slowest source. Each query is
    paid for, whether or not the source has a record.
    """

    row_wise = True

    def __init__(self, sources: list[DataSource | LenderView]) -> None:
        bits = [s.bit for s in sources]
        if len(set(bits)) != len(bits) or not all(0 <= b < MAX_SOURCES for b in bits):
            raise ValueError(f"data sources need distinct bits in [0, {MAX_SOURCES}), got "
                             f"{dict(zip([s.name for s in sources], bits, strict=True))}")
        self.sources = sources
        self._queried_bits = np.int64(sum(1 << b for b in bits))

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
