"""``loans.parquet`` with names: coded columns become categorical (dictionary-encoded).

The loan book keeps small integer codes (fast to filter and count); a modeller reading the
file wants names. Each coded column is written as a pandas ``Categorical`` whose categories
are every name the run could have used, in code order, so pyarrow stores it as a
dictionary column that pandas reads back as ``category`` and DuckDB as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
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


def with_names(table: pd.DataFrame, config: MarketConfig) -> pd.DataFrame:
    """A shallow copy of a coded table (loans or applications) whose coded columns
    (:func:`category_names`) are categoricals of names; code ``-1`` or a missing value
    reads as missing, except a grade: ``-1`` reads as ``-`` (:data:`UNGRADED`).

    Every column named is replaced, never written in place (copy-on-write keeps ``table``
    as it was), so the copy shares the other columns with it.
    """
    out = table.copy(deep=False)
    for column, names in category_names(config).items():
        codes = out[column].to_numpy(dtype=np.int64, na_value=-1)
        if column == "grade":
            names, codes = [UNGRADED, *names], codes + 1
        out[column] = pd.Categorical.from_codes(codes, categories=names)
    if "funder" in out.columns:  # a market with funding partners: the partner's name
        codes = out["funder"].to_numpy(dtype=np.int64, na_value=-1)
        out["funder"] = pd.Categorical.from_codes(codes, categories=category_names(
            config)["lender"])
    return out


def named_loans(loans: pd.DataFrame, config: MarketConfig) -> pd.DataFrame:
    """A copy of the loan table with coded columns as categoricals of names.

    Grades are ``-`` (ungraded) then ``A``, ``B``... so that code ``-1`` reads as ``-``.
    """
    return with_names(loans, config)


LOANS_PER_GROUP = 1 << 17  # loans.parquet's row groups (a run under it: one)


def write_named_groups(groups: Iterable[pd.DataFrame], path: Path) -> None:
    """Write named parts of a table (at least one), in order, one row group each: only
    one part's Arrow copy is held at once.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for named in groups:
            group = pa.Table.from_pandas(named, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, group.schema)
            writer.write_table(group, row_group_size=max(len(group), 1))
            del named, group
            pa.default_memory_pool().release_unused()  # Arrow's pool keeps freed memory
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError(f"{path.name}: no part to write")


def write_in_parts(table: pd.DataFrame, name: Callable[[pd.DataFrame], pd.DataFrame],
                   path: Path, rows_per_group: int) -> None:
    """Write a coded table with names a part of ``rows_per_group`` rows at a time: each
    part named by ``name`` and written as a row group (:func:`write_named_groups`), so the
    whole table is never named, nor converted to Arrow, at once; an empty table named whole.
    """
    if table.empty:
        name(table).to_parquet(path, index=False)
        return
    write_named_groups((name(table.iloc[start:start + rows_per_group])
                        for start in range(0, len(table), rows_per_group)), path)


def write_loans(loans: pd.DataFrame, config: MarketConfig, path: Path) -> None:
    """Write ``loans.parquet``: :func:`named_loans`, ``LOANS_PER_GROUP`` rows at a time."""
    write_in_parts(loans, lambda part: named_loans(part, config), path, LOANS_PER_GROUP)
