"""loans.parquet reads back with names, in pandas and in DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simfin.outputs.loan_table import category_names
from simfin.outputs.writer import write_run

CODED = ("lender", "product", "scenario", "channel", "grade", "status", "cohort", "region")


@pytest.fixture(scope="module")
def written(small_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("loans") / "run"
    write_run(small_run, out)
    return out / "loans.parquet"


def _expected(small_run, column: str) -> list[str]:
    names = category_names(small_run.config)[column]
    codes = small_run.loans[column].to_numpy()
    if column == "grade":
        return ["-" if c < 0 else names[c] for c in codes]
    return [names[c] for c in codes]


def test_coded_columns_are_dictionary_encoded(written):
    schema = pq.read_schema(written)
    for column in CODED:
        assert str(schema.field(column).type).startswith("dictionary"), column


def test_pandas_reads_names(small_run, written):
    loans = pd.read_parquet(written)
    # precondition: graded and ungraded loans, more than one status
    assert (small_run.loans["grade"] >= 0).any() and (small_run.loans["grade"] < 0).any()
    assert small_run.loans["status"].nunique() > 1
    for column in CODED:
        assert isinstance(loans[column].dtype, pd.CategoricalDtype), column
        assert loans[column].astype(str).tolist() == _expected(small_run, column), column
    assert set(loans["lender"].cat.categories) == set(small_run.summary["lenders"])
    np.testing.assert_array_equal(loans["principal_cents"], small_run.loans["principal_cents"])


def test_duckdb_reads_names(small_run, written):
    con = duckdb.connect()
    rows = con.execute(f"SELECT lender, grade, status, count(*) FROM '{written}' "
                       "GROUP BY ALL ORDER BY ALL").fetchall()
    names = set(small_run.summary["lenders"])
    assert {r[0] for r in rows} == names
    assert {r[2] for r in rows} <= {"active", "closed", "written_off"}
    assert sum(r[3] for r in rows) == len(small_run.loans)
    typed = con.execute(f"SELECT typeof(channel), typeof(region) FROM '{written}' LIMIT 1"
                        ).fetchone()
    assert typed == ("VARCHAR", "VARCHAR")
    by_channel = dict(con.execute(f"SELECT channel, count(*) FROM '{written}' GROUP BY 1"
                                  ).fetchall())
    expected = pd.Series(_expected(small_run, "channel")).value_counts().to_dict()
    assert by_channel == expected


def test_written_in_row_groups_with_the_same_content(small_run, tmp_path, monkeypatch):
    from simfin.outputs import loan_table

    whole = loan_table.named_loans(small_run.loans, small_run.config)
    monkeypatch.setattr(loan_table, "LOANS_PER_GROUP", len(whole) // 3 + 1)
    loan_table.write_loans(small_run.loans, small_run.config, tmp_path / "loans.parquet")
    assert pq.ParquetFile(tmp_path / "loans.parquet").num_row_groups == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "loans.parquet"), whole,
                                  check_exact=True)


def test_no_loans_are_written_with_their_named_columns(small_run, tmp_path):
    from simfin.outputs import loan_table

    none = small_run.loans.iloc[:0]
    loan_table.write_loans(none, small_run.config, tmp_path / "loans.parquet")
    back = pd.read_parquet(tmp_path / "loans.parquet")
    assert back.empty and list(back.columns) == list(small_run.loans.columns)
    for column in CODED:
        assert isinstance(back[column].dtype, pd.CategoricalDtype), column
