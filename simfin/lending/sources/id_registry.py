"""The national ID registry: does the stated identity exist and match the applicant."""

from __future__ import annotations

import numpy as np

from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.registry import register_source


@register_source("id_registry",
                 {"id_match": "1 if the ID registry confirms the identity, 0 if not."})
def id_registry(build: SourceBuild) -> DataSource:
    """Records on ``data.id_registry.coverage`` of the consumers."""
    pop = build.population
    return build.source(build.coverage(), {
        "id_match": lambda rows: (~pop.id_mismatch.take(rows)).astype(np.float32)})
