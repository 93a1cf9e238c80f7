"""applications.parquet: one row per application, names in pandas and DuckDB, and the
applications of booked loans matching loans.parquet one to one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import simfin
from simfin.outputs.writer import write_run

CODED = ("lender", "product", "scenario", "channel", "grade", "cohort", "region",
         "decision", "reason", "rules_hit", "status")


@pytest.fixture(scope="module")
def written(small_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("apps") / "run"
    write_run(small_run, out)
    return out


def test_one_row_per_application(small_run, written):
    apps = pd.read_parquet(written / "applications.parquet")
    steps = small_run.steps
    assert len(apps) == steps["applications"].sum() > 0
    per_day = apps.groupby(["day", apps["lender"].astype(str)], observed=True).size()
    recorded = steps.set_index(["day", steps["lender"].astype(str)])["applications"]
    assert per_day.reindex(recorded.index, fill_value=0).equals(recorded.astype(per_day.dtype))
    counts = apps["decision"].value_counts()
    assert counts["approved"] == steps["approvals"].sum()
    assert counts["declined"] == steps["declined"].sum()
    assert counts["pending"] == 0


def test_coded_columns_are_dictionary_encoded(written):
    schema = pq.read_schema(written / "applications.parquet")
    for column in CODED:
        assert str(schema.field(column).type).startswith("dictionary"), column


def test_pandas_reads_names(small_run, written):
    apps = pd.read_parquet(written / "applications.parquet")
    for column in CODED:
        assert isinstance(apps[column].dtype, pd.CategoricalDtype), column
    assert set(apps["lender"].unique()) == {lender.name for lender in small_run.config.lenders}
    assert set(apps["decision"].dropna().unique()) <= {"approved", "declined", "referred",
                                                       "lost"}
    # Every decline has a reason by name, every approval none.
    declined = apps["decision"] == "declined"
    assert apps.loc[declined, "reason"].notna().all()
    assert apps.loc[apps["decision"] == "approved", "reason"].isna().all()
    assert "SCORE" in set(apps["reason"].dropna())  # the model went live and declined


def test_duckdb_reads_names(small_run, written):
    path = (written / "applications.parquet").as_posix()
    rows = duckdb.sql(f"SELECT lender, decision, reason, count(*) AS n FROM '{path}' "
                      "GROUP BY ALL").df()
    assert rows["lender"].map(type).eq(str).all()
    assert set(rows["lender"]) == {lender.name for lender in small_run.config.lenders}
    total = rows.groupby("decision")["n"].sum()
    assert total["approved"] == small_run.steps["approvals"].sum()
    types = dict(duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()[i][:2]
                 for i in range(len(pd.read_parquet(path).columns)))
    assert types["reason"] == "VARCHAR" and types["queried_bureau"] == "BOOLEAN"


def test_booked_applications_match_loans_one_to_one(written):
    apps = pd.read_parquet(written / "applications.parquet")
    loans = pd.read_parquet(written / "loans.parquet")
    booked = apps[apps["loan_id"] >= 0]
    assert booked["taken_up"].all() and not apps.loc[apps["loan_id"] < 0, "taken_up"].any()
    assert booked["loan_id"].is_unique
    assert sorted(booked["loan_id"]) == list(range(len(loans)))
    booked = booked.set_index("loan_id").sort_index()
    assert (booked["decision"] == "approved").all()
    pairs = {"consumer": "consumer", "day": "origination_day", "pd": "pd",
             "all_in_apr": "apr", "is_fraud": "is_fraud", "defaulted": "defaulted",
             "ever_30dpd": "ever_30dpd"}
    for mine, theirs in pairs.items():
        np.testing.assert_array_equal(booked[mine].to_numpy(dtype=loans[theirs].dtype),
                                      loans[theirs].to_numpy(), err_msg=mine)
    for column in ("lender", "product", "scenario", "channel", "grade", "status", "cohort",
                   "region"):
        assert (booked[column].astype(str).to_numpy()
                == loans[column].astype(str).to_numpy()).all(), column
    # The outcome columns are missing (not False) where no loan was booked.
    assert apps.loc[apps["loan_id"] < 0, "defaulted"].isna().all()
    assert booked["defaulted"].sum() > 0


def test_features_as_the_lender_saw_them(small_run, written):
    apps = pd.read_parquet(written / "applications.parquet")
    # The default lenders buy bureau and ID data but not social security: NaN there.
    assert apps["verified_income_cents"].isna().all()
    assert not apps["queried_social_security"].any()
    queried = apps["queried_bureau"]
    assert queried.mean() > 0.5
    # Only queried applicants can have bureau data; an unqueried row knows nothing.
    assert apps.loc[~queried, "bureau_history_months"].isna().all()
    # Declined by a rule on stated fields: never queried.
    early = apps["reason"].isin(["AGE", "AMOUNT", "DEVICE"])
    assert not apps.loc[early, "queried_bureau"].any()


def test_rules_hit_names_flag_rules(make_config, tmp_path):
    cfg = make_config(**{"run.steps": 20})
    rules = [r.model_dump() for r in cfg.lenders[0].risk.rules]
    rules.append({"name": "young", "when": "age_years < 30", "action": "flag",
                  "reason": "YOUNG"})
    cfg = simfin.load_config(cfg, {"lenders.0.risk.rules": rules})
    result = simfin.run(cfg)
    write_run(result, tmp_path / "run")
    apps = pd.read_parquet(tmp_path / "run" / "applications.parquet")
    first = apps[apps["lender"] == cfg.lenders[0].name]
    assert (first["rules_hit"] == "YOUNG").any()
    young = first["age_years"] < 30
    # The flag is hit exactly where the rule holds, on rows that reached the rule.
    reached = first["decision"] == "approved"
    assert ((first["rules_hit"] == "YOUNG") == young)[reached].all()


def test_recording_can_be_switched_off(make_config, tmp_path):
    on = simfin.run(make_config(**{"run.steps": 20}))
    off = simfin.run(make_config(**{"run.steps": 20, "run.record_applications": False}))
    assert off.applications is None and off.model.application_log is None
    write_run(off, tmp_path / "off")
    assert not (tmp_path / "off" / "applications.parquet").exists()
    # Recording observes the run; it changes nothing in it.
    pd.testing.assert_frame_equal(on.steps, off.steps)
    pd.testing.assert_frame_equal(on.loans, off.loans)


def test_force_without_recording_removes_the_old_record(make_config, tmp_path):
    out = tmp_path / "run"
    write_run(simfin.run(make_config(**{"run.steps": 10})), out)
    assert (out / "applications.parquet").exists()
    write_run(simfin.run(make_config(**{"run.steps": 10, "run.record_applications": False})),
              out, force=True)
    assert not (out / "applications.parquet").exists()  # not a stale record of another run
    assert (out / "loans.parquet").exists()


def test_written_in_row_groups_with_the_same_content(small_run, tmp_path, monkeypatch):
    from simfin.outputs import application_table

    lenders = small_run.model.lenders
    args = (small_run.applications, small_run.config,
            [lender.reason_codes for lender in lenders],
            [lender.flag_reasons for lender in lenders])
    whole = application_table.named_applications(*args)
    monkeypatch.setattr(application_table, "ROWS_PER_GROUP", len(whole) // 3 + 1)
    application_table.write_applications(*args, tmp_path / "applications.parquet")
    assert pq.ParquetFile(tmp_path / "applications.parquet").num_row_groups == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "applications.parquet"), whole,
                                  check_exact=True)
