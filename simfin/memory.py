"""How much memory a run will need at its peak, estimated from its config before it starts,
and the refusal of a market that cannot fit the machine.

A run's peak resident memory is, to a few per cent, a fixed cost (the interpreter, numpy,
pandas, scikit-learn, Mesa) plus a cost per consumer (the population's columns and the
day's temporaries over them), per loan booked (the loan book's row, the loans on book kept
for servicing, the row of the loans table at the end) and, with ``run.record_applications``
on, per application (its compact record during the run and its row of the applications
table at the end). Loans and applications are expected from the demand the config sets:
``sum(scenarios.need_rate) / 365`` needs per consumer-day, of which the baseline market
turns ``APPLICATIONS_PER_NEED`` into applications and ``LOANS_PER_NEED`` into loans.

Calibration (2026-12-07, the shared 2-core AMD EPYC machine with 23 GB; peak RSS of
``simfin.run()`` on ``configs/baseline.yaml`` in a fresh process, measured by
``python -m simfin.bench.peak_memory``): 1M consumers x 30 days, 425 MB with and without
the application log; 10M x 30 days, 1,532 MB without and 2,005 MB with it (836,434 loans,
2,210,796 applications); 1M x 120 days, see ``tests/benchmarks/README.md``. The constants
below reproduce those within 10 %; ``tests/test_memory.py`` checks the estimate against
measured peaks of small runs (within a factor of 1.5 either way). Writing the outputs
(``simfin run``) adds the tables' parquet encoding, within the same margin at these sizes.

The check refuses a run whose estimate exceeds the memory available (``psutil``'s
``available``: free memory plus what the kernel can reclaim). ``SIMFIN_MEMORY_CHECK=off``
in the environment turns it off, for users who know their machine better (swap, a
container limit psutil does not see, a run that will be stopped early).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from simfin.config import ConfigError, MarketConfig

FIXED_BYTES = 230 * 2**20          # interpreter and libraries, after import
BYTES_PER_CONSUMER = 132           # population columns and a day's temporaries
BYTES_PER_LOAN = 420               # loan book, loans kept on book, loans table
BYTES_PER_APPLICATION = 215        # compact record in the run, table row at the end
APPLICATIONS_PER_NEED = 0.85       # baseline: 2,210,796 applications from 2.61M needs
LOANS_PER_NEED = 0.32              # baseline: 836,434 loans
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
    peak = (FIXED_BYTES + BYTES_PER_CONSUMER * n + BYTES_PER_LOAN * loans
            + BYTES_PER_APPLICATION * applications)
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
