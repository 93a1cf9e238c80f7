"""The unified service platform's customer profile: satisfaction and engagement of the
customers it has served. A lender whose service is unified queries it (the pipeline adds
it; it is not bought, so not listed in ``risk.data_sources``).
"""

from __future__ import annotations

import numpy as np

from simfin.lending.batch import nan_where
from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.registry import register_source

FIELDS = {"service_profile_score": "Satisfaction and engagement from the unified service "
                                   "platform's customer profile (0..1)."}


@register_source("service_profile", FIELDS, listed=False)
def service_profile(build: SourceBuild) -> DataSource:
    """Every consumer; NaN for one the service has never been in touch with. Free."""
    pop = build.population
    return DataSource(build.name, np.ones(pop.n, dtype=bool), {
        "service_profile_score": lambda rows: nan_where(pop.interactions.take(rows) <= 0,
                                                        pop.satisfaction.take(rows))},
        0, 0.0, bit=build.bit)
