"""report.md: warnings, declines by reason, breakdowns and vintages."""

from __future__ import annotations

from simfin.outputs.report import render_report


def test_report_has_warnings_declines_breakdowns_and_vintages(small_run):
    text = render_report(small_run.config, small_run.summary, ["figures/a.png"])
    for section in ("## Run-health warnings", "## Declines by reason", "### By channel",
                    "### By scenario", "### By cohort", "### By region", "### Loans by grade",
                    "## Vintages (market)", "![figures/a.png](figures/a.png)"):
        assert section in text, section
    for reason in next(iter(small_run.summary["lenders"].values()))["declines_by_reason"]:
        assert f"| {reason} |" in text
    for channel in small_run.summary["market"]["by_channel"]:
        assert f"| {channel} |" in text


def test_report_lists_each_warning_or_says_there_is_none(small_run):
    summary = {**small_run.summary, "warnings": []}
    assert "No run-health warnings." in render_report(small_run.config, summary, [])
    summary["warnings"] = [{"code": "zero_loans", "lender": "x", "message": "X lent nothing."}]
    text = render_report(small_run.config, summary, [])
    assert "- **zero_loans**: X lent nothing." in text
