"""Social-security records: employment and income, of formally employed consumers with a
real identity (a synthetic one has no record).
"""

from __future__ import annotations

import numpy as np

from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.registry import register_source

FIELDS = {
    "verified_income_cents": "Monthly income on the social-security record.",
    "employed": "1 if social security shows current employment.",
}


@register_source("social_security", FIELDS)
def social_security(build: SourceBuild) -> DataSource:
    """Records on ``data.social_security.coverage`` of the consumers, none synthetic."""
    pop, day_of = build.population, build.day_of

    def employed(rows: np.ndarray) -> np.ndarray:
        return (pop.shock_until_day.take(rows) <= day_of()).astype(np.float32)

    return build.source(build.coverage() & ~pop.synthetic_id, {
        "verified_income_cents": lambda rows: pop.income_cents(rows, day_of()),
        "employed": employed})
