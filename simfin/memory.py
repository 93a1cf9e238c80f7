"""How much memory a run will need at its peak, estimated from its config before it starts,
and the refusal of a market that cannot fit the machine.

A run's peak resident memory is a fixed cost (the interpreter, numpy, pandas, scikit-learn,
Mesa; with ``run.record_applications`` on, pyarrow too) plus the larger of two moments:
building the population (its columns and the temporaries of drawing them, per consumer),
and the end of the run, when the population, the loan book (every loan booked stays a
row), the loans table and the summaries' temporaries are held (per consumer, per loan).
The application log is spilled to a temporary Parquet file as the run goes
(:mod:`simfin.indicators.application_log`) and its table read only when asked for, so an application
costs only its share of the buffer and of the five columns the frontier reads (per
application). Loans and applications are expected from the demand the config sets:
``sum(scenarios.need_rate) / 365`` needs per consumer-day, of which the baseline market
turns ``APPLICATIONS_PER_NEED`` into applications and ``LOANS_PER_NEED`` into loans.

Calibration (2026-12-07, the shared 2-core AMD EPYC machine with 23 GB, numpy 2.5, pandas
3.1; peak RSS of ``simfin.run()`` on ``configs/baseline.yaml`` in a fresh process,
``python -m simfin.bench.peak_memory CONSUMERS DAYS``, the table not read), measured /
estimated in MiB:

=================  =========================  ======================
consumers x days   log on                     log off
=================  =========================  ======================
20k x 30           227 / 242                  210 / 219
100k x 120         280 / 265                  236 / 241
300k x 120         312 / 318                  286 / 292
1M x 30            395 / 372                  395 / 346
1M x 120           501 / 501                  474 / 468
10M x 30           1,501 / 1,567              1,476 / 1,518
50M x 3            5,536 / 5,580              (not run)
=================  =========================  ======================

Within 12 % at every size (creating the population alone peaked at 1,274 MiB at 10M
consumers); ``tests/test_memory.py`` checks
it within a factor of 1.5 on a fresh run of 300k consumers x 60 days, and the benchmark
suite at 20k, 1M and 10M consumers (``tests/benchmarks/test_market.py::test_peak_rss_at_scale``).
Other markets turn needs into loans and applications at other rates: on every shipped
config at 200k consumers x 60 days the estimate was within 8 % of the measured peak
(250-277 MiB, measured before the log was spilled), its loans and applications within a
factor of 1.7 of the run's (c1, c2, c3 and c7 book fewer per need than the baseline).
Writing the outputs (``simfin run``) adds the named tables, a part at a time, and the
figures, which the estimate does not count (10M x 30 days with the log: 1,567 MiB
written); reading ``result.applications`` adds the table (about 205 bytes per application).

The check refuses a run whose estimate exceeds the memory available (``psutil``'s
``available``: free memory plus what the kernel can reclaim). ``SIMFIN_MEMORY_CHECK=off``
in the environment turns it off, for users who know their machine better (swap, a
container limit psutil does not see, a run that will be stopped early).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from simfin.config import ConfigError, MarketConfig

FIXED_BYTES = 216 * 2**20          # interpreter and libraries, after import
LOG_FIXED_BYTES = 23 * 2**20       # pyarrow and the spill file's writer (log on)
CREATION_BYTES_PER_CONSUMER = 112  # building the population: its columns and temporaries
BYTES_PER_CONSUMER = 94            # resident population columns during and after the days
BYTES_PER_LOAN = 494               # loan book, loans table, summaries at the end
BYTES_PER_APPLICATION = 12         # spill buffer and the frontier's five columns
APPLICATIONS_PER_NEED = 0.9        # baseline: 0.85 at 30 days, 0.95 at 120 days
LOANS_PER_NEED = 0.33              # baseline: 0.32 at 30 days, 0.35 at 120 days
MEMORY_CHECK_ENV = "SIMFIN_MEMORY_CHECK"  # "off": run whatever the estimate


@dataclass(frozen=True)
class MemoryEstimate:
    """A run's expected peak memory and what drives it."""

    consumers: int
    days: int
    loans: int
    applications: int  # recorded applications (0 with the log off)
    peak_bytes: int

    def consumers_fitting(self, available_bytes: int) -> int:
        """The most consumers that fit ``available_bytes`` with the same days and demand."""
        per_consumer = self.peak_bytes - FIXED_BYTES
        if per_consumer <= 0 or self.consumers == 0:
            return self.consumers
        return max(0, int((available_bytes - FIXED_BYTES) / per_consumer * self.consumers))


def estimate(config: MarketConfig) -> MemoryEstimate:
    """The expected peak resident memory of running ``config`` (see the module docstring)."""
    n, days = config.population.n_consumers, config.run.total_days
    needs = n * days * sum(s.need_rate for s in config.scenarios) / 365
    loans = int(needs * LOANS_PER_NEED)
    applications = int(needs * APPLICATIONS_PER_NEED) if config.run.record_applications else 0
    creation = CREATION_BYTES_PER_CONSUMER * n
    days_and_tables = (BYTES_PER_CONSUMER * n + BYTES_PER_LOAN * loans
                       + BYTES_PER_APPLICATION * applications)
    log = LOG_FIXED_BYTES if config.run.record_applications else 0
    peak = FIXED_BYTES + log + max(creation, days_and_tables)
    return MemoryEstimate(n, days, loans, applications, int(peak))


def available_bytes() -> int:
    """Memory available to a new run: ``psutil.virtual_memory().available``."""
    import psutil

    return int(psutil.virtual_memory().available)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def check_fits(config: MarketConfig) -> MemoryEstimate:
    """Refuse a market whose estimated peak memory exceeds the memory available.

    Returns:
        The estimate (also when the check is off).

    Raises:
        ConfigError: In one line: the estimate, what is available, and how many consumers
            would fit; unless ``SIMFIN_MEMORY_CHECK=off``.
    """
    found = estimate(config)
    if os.environ.get(MEMORY_CHECK_ENV, "").strip().lower() in ("off", "0", "false", "no"):
        return found
    available = available_bytes()
    if found.peak_bytes > available:
        log = ("with the application log" if config.run.record_applications
               else "without the application log")
        raise ConfigError(
            f"population.n_consumers: {found.consumers:,} consumers for {found.days} days "
            f"need about {_gib(found.peak_bytes)} of memory at the peak ({log}); this "
            f"machine has {_gib(available)} available, which fits about "
            f"{found.consumers_fitting(available):,} consumers (fewer consumers or days, "
            f"run.record_applications=false, or {MEMORY_CHECK_ENV}=off to run anyway)")
    return found
