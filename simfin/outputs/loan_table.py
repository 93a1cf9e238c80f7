"""``loans.parquet`` with names: coded columns become categorical (dictionary-encoded).

The loan book keeps small integer codes (fast to filter and count); a modeller reading the
file wants names. Each coded column is written as a pandas ``Categorical`` whose categories
are every name the run could have used, in code order, so pyarrow stores it as a
dictionary column that pandas reads back as ``category`` and DuckDB as text.
"""

from __future__ import annotations

import pandas as pd

from simfin.config import COHORTS, REGIONS, MarketConfig
from simfin.lending.loan_book import ACTIVE, CLOSED, WRITTEN_OFF
from simfin.lending.pricing import GRADE_LETTERS
from simfin.lending.product import PRODUCT_KINDS

STATUS_NAMES = {ACTIVE: "active", CLOSED: "closed", WRITTEN_OFF: "written_off"}
UNGRADED = "-"  # grade of a loan decided before the lender's model was in use


def category_names(config: MarketConfig) -> dict[str, list[str]]:
    """Names of the codes of each coded loan column, index = code."""
    grades = max(len(lender.pricing.grade_cutoffs) + 1 for lender in config.lenders)
    return {
        "lender": [lender.name for lender in config.lenders],
        "product": list(PRODUCT_KINDS),
        "scenario": [s.name for s in config.scenarios],
        "channel": [c.name for c in config.channels],
        "grade": list(GRADE_LETTERS[:grades]),
        "status": [STATUS_NAMES[k] for k in sorted(STATUS_NAMES)],
        "cohort": list(COHORTS),
        "region": list(REGIONS),
    }


def named_loans(loans: pd.DataFrame, config: MarketConfig) -> pd.DataFrame:
    """A copy of the loan table with coded columns as categoricals of names.

    Grades are ``-`` (ungraded) then ``A``, ``B``... so that code ``-1`` reads as ``-``.
    """
    out = loans.copy()
    for column, names in category_names(config).items():
        codes = out[column].to_numpy().astype("int64")
        if column == "grade":
            names, codes = [UNGRADED, *names], codes + 1
        out[column] = pd.Categorical.from_codes(codes, categories=names)
    return out
