"""The regulator's levers and the run's own settings."""

from __future__ import annotations

from simfin.config.base import PROBABILITY, Section, name_param, param


class PolicyConfig(Section):
    """Regulator policy levers that bind every lender."""

    apr_cap: float | None = param(0.36, "Highest all-in APR (interest plus fees) a loan may "
                                  "carry; applications that cannot be priced under it are "
                                  "declined. null for no cap.", "rate/year", ge=0.0, le=10.0)
    consortium: bool = param(False, "Whether the lenders' information-sharing consortium "
                             "exists; members then see each other's active loans.")


class RunConfig(Section):
    """How long to run and with which seed."""

    name: str = name_param("market", "Run name, used in output folder names.")
    steps: int = param(365, "Days to simulate.", "days", ge=1, le=36_500)
    seed: int = param(42, "Seed of the model's random number generator; the same config and "
                      "seed give bit-identical results.", "", ge=0)
    default_dpd: int = param(90, "Days past due at which a loan counts as defaulted.", "days",
                             ge=1)
    writeoff_dpd: int = param(180, "Days past due at which a defaulted loan's principal is "
                              "written off.", "days", ge=1)
    recovery_rate: float = param(0.1, "Share of written-off principal recovered later (posted "
                                 "on the write-off day).", "share", **PROBABILITY)
