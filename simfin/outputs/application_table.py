"""``applications.parquet`` with names: one row per application, coded columns as
categoricals (like ``loans.parquet``), data sources and rules as readable columns.

A lender's ``reason`` indexes its own reason-code table and its ``flags`` bits its own
flag-rule table; both become market-wide names here. Names are looked up per distinct
code (a handful), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from simfin.config import MarketConfig
from simfin.lending.batch import APPROVED, DECLINED, LOST, PENDING, REFERRED
from simfin.lending.data_sources import source_layout
from simfin.outputs.loan_table import with_names, write_in_parts, write_named_groups

DECISION_NAMES = {PENDING: "pending", APPROVED: "approved", DECLINED: "declined",
                  REFERRED: "referred", LOST: "lost"}
NO_RULE = ""  # rules_hit of an application no flag rule hit


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """Codes (-1 = missing) as a categorical of ``names``."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=names)


def _reasons(apps: pd.DataFrame, reason_codes: list[list[str]]) -> pd.Categorical:
    """The lender-local ``reason`` codes as market-wide names (missing: no reason)."""
    names = list(dict.fromkeys(code for table in reason_codes for code in table))
    lookup = np.full((len(reason_codes), max(map(len, reason_codes), default=0) + 1), -1)
    for i, table in enumerate(reason_codes):
        lookup[i, :len(table)] = [names.index(code) for code in table]
    # Column -1 of the lookup stays -1: NO_REASON reads as missing.
    return _categorical(lookup[apps["lender"].to_numpy(), apps["reason"].to_numpy()], names)


RuleTable = tuple[dict[int, tuple[np.ndarray, np.ndarray]], list[str]]


def rule_table(lenders: np.ndarray, flags: np.ndarray, flag_reasons: list[list[str]]
               ) -> RuleTable:
    """The ``rules_hit`` names of a table's flag bits: per lender, its distinct flag bits
    (ascending) and their codes; and the names (``"THIN|YOUNG"``, ``""`` when none).

    The distinct bits are found lender by lender (in the order of ``np.unique`` over
    (lender, flags) pairs), without a two-column copy of the table.
    """
    labels: list[str] = []
    found = {}
    for lender in np.unique(lenders):
        distinct = np.unique(flags.take(np.flatnonzero(lenders == lender)))
        found[int(lender)] = (distinct, len(labels))
        table = flag_reasons[int(lender)]
        labels += ["|".join(table[b] for b in range(len(table)) if bits >> b & 1) or NO_RULE
                   for bits in distinct.tolist()]
    names = list(dict.fromkeys(labels))
    code_of = np.array([names.index(label) for label in labels], dtype=np.int64)
    return {lender: (distinct, code_of[first:first + len(distinct)])
            for lender, (distinct, first) in found.items()}, names


def _rules_hit(apps: pd.DataFrame, flag_reasons: list[list[str]],
               rules: RuleTable | None = None) -> pd.Categorical:
    """The flag rules an application hit, as ``"THIN|YOUNG"`` (``""`` when none), named
    by ``rules`` (:func:`rule_table`; None: the table's own).
    """
    lenders, flags = apps["lender"].to_numpy(), apps["flags"].to_numpy()
    by_lender, names = rule_table(lenders, flags, flag_reasons) if rules is None else rules
    codes = np.empty(len(apps), dtype=np.int64)
    for lender in np.unique(lenders):
        rows = np.flatnonzero(lenders == lender)
        distinct, code = by_lender[int(lender)]
        codes[rows] = code.take(np.searchsorted(distinct, flags.take(rows)))
    return _categorical(codes, names)


def named_applications(apps: pd.DataFrame, config: MarketConfig,
                       reason_codes: list[list[str]], flag_reasons: list[list[str]],
                       rules: RuleTable | None = None) -> pd.DataFrame:
    """A copy of the application log with names.

    Args:
        apps: ``ApplicationLog.frame`` of the run.
        config: The run's config (names of lenders, scenarios, channels...).
        reason_codes: Each lender's reason-code table.
        flag_reasons: Each lender's flag-bit table (bit ``i`` = rule ``flag_reasons[i]``).
        rules: The ``rules_hit`` names of the whole table when ``apps`` is a part of it
            (:func:`rule_table`); None: ``apps``'s own.

    Returns:
        The table with categorical ``lender``, ``product``, ``scenario``, ``channel``,
        ``cohort``, ``region``, ``grade``, ``decision``, ``reason``, ``rules_hit`` and
        ``status`` (missing without a loan), and a boolean ``queried_<source>`` per data
        source instead of the ``data_queried`` bits.
    """
    if apps.empty:
        return apps.copy(deep=False)
    out = with_names(apps, config)  # shallow: a deep copy doubled the table in memory
    out["decision"] = _categorical(out["decision"].to_numpy(),
                                   [DECISION_NAMES[k] for k in sorted(DECISION_NAMES)])
    out["reason"] = _reasons(apps, reason_codes)
    out["rules_hit"] = _rules_hit(apps, flag_reasons, rules)
    bits = out.pop("data_queried").to_numpy()
    for i, source in enumerate(source_layout(config)):
        out[f"queried_{source}"] = (bits >> i & 1).astype(bool)
    return out


ROWS_PER_GROUP = 1 << 20  # pyarrow's default row group: the file is laid out as one write


def write_applications(apps: pd.DataFrame, config: MarketConfig,
                       reason_codes: list[list[str]], flag_reasons: list[list[str]],
                       path: Path) -> None:
    """Write ``applications.parquet`` from the whole table: named (with the whole table's
    ``rules_hit`` names) and converted to Arrow ``ROWS_PER_GROUP`` rows at a time, as
    :func:`write_application_groups` does with the application log's row groups.
    """
    rules = None if apps.empty else rule_table(apps["lender"].to_numpy(),
                                               apps["flags"].to_numpy(), flag_reasons)
    write_in_parts(apps, partial(named_applications, config=config, reason_codes=reason_codes,
                                 flag_reasons=flag_reasons, rules=rules),
                   path, ROWS_PER_GROUP)


def write_application_groups(groups: Iterable[pd.DataFrame], rules: RuleTable,
                             config: MarketConfig, reason_codes: list[list[str]],
                             flag_reasons: list[list[str]], path: Path) -> None:
    """Write ``applications.parquet`` from the table's parts in order (the application
    log's row groups), each named (with the whole table's ``rules``: :func:`rule_table`)
    and written as a row group: the whole table is never held. The content is that of
    :func:`write_applications` on the whole table.
    """
    write_named_groups((named_applications(group, config, reason_codes, flag_reasons, rules)
                        for group in groups), path)
