"""The central-bank style credit bureau: a file on most consumers with a credit history
(thin files have none), their delinquencies, recent inquiries and the loans of the lenders
that report to it.
"""

from __future__ import annotations

import numpy as np

from simfin.lending.data_sources import DataSource, SourceBuild
from simfin.lending.registry import register_source
from simfin.lending.sources.loans import loans_at

FIELDS = {
    "bureau_hit": "1 if the credit bureau has a file on the applicant.",
    "bureau_history_months": "Length of the bureau credit history.",
    "bureau_delinquencies": "Past delinquencies on the bureau file.",
    "bureau_multi_lending": "Active loans at other lenders that report to the bureau.",
    "bureau_inquiries": "Recent credit applications on the identity at any lender (decayed "
                        "count, half-life behaviour.fraud.signals.inquiry_half_life_days): "
                        "application velocity.",
    "contact_mismatch": "1 if the stated phone/address differs from the bureau file.",
}


@register_source("bureau", FIELDS, miss_values={"bureau_hit": 0.0})
def bureau(build: SourceBuild) -> DataSource:
    """Files on the consumers with a credit history, ``data.bureau.coverage`` of them."""
    pop = build.population
    reporting = np.array([lender.reports_to_bureau for lender in build.market.lenders])

    def multi_lending(rows: np.ndarray) -> np.ndarray:
        return loans_at(pop, rows, reporting, pop.external_loans.take(rows))

    covered = pop.has_bureau_file & build.coverage()
    return build.source(covered, {
        "bureau_hit": lambda rows: np.ones(len(rows)),
        "bureau_history_months": lambda rows: pop.bureau_history_months.take(rows),
        "bureau_delinquencies": lambda rows: pop.bureau_delinquencies.take(rows),
        "bureau_multi_lending": multi_lending,
        "bureau_inquiries": lambda rows: pop.inquiries.take(rows),
        "contact_mismatch": lambda rows: pop.contact_mismatch.take(rows)})
