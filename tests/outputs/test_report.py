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


def _vintage_columns(text: str) -> dict[str, list[str]]:
    """The report's vintage table as {column header: cells}."""
    table = text[text.index("## Vintages (market)"):].split("\n\n")[2].splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in table[2:]]
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


def test_vintage_table_starts_where_a_default_can_have_happened(small_run):
    from simfin.outputs.report import shortest_period_days
    from simfin.outputs.tables import first_default_month

    run = small_run.config.run
    loans = small_run.loans
    defaulted = loans[loans["default_day"] >= 0]
    assert len(defaulted) > 0  # precondition: defaults happened
    # The bound holds on the run: no loan defaulted before dpd + the shortest period.
    shortest = shortest_period_days(small_run.config)
    assert loans["period_days"].min() >= shortest
    assert ((defaulted["default_day"] - defaulted["origination_day"])
            >= run.default_dpd + shortest).all()
    first = first_default_month(run.default_dpd, shortest)
    columns = _vintage_columns(render_report(small_run.config, small_run.summary, []))
    months = [int(h.split()[1]) for h in columns if h.startswith("MOB")]
    assert months[0] == first and months == sorted(months)
    for header, cells in columns.items():
        if header.startswith("MOB"):
            filled = [c for c in cells if c]
            assert filled and any(c != "0.00%" for c in filled), header  # never all 0 %


def test_vintage_table_has_no_month_before_the_first_possible_default(small_run):
    from simfin.outputs.tables import first_default_month

    # 90 days past due after a first instalment 7 days on: month 4 is the first possible.
    assert first_default_month(90, 7) == 4
    assert first_default_month(90, 30) == 5
    assert first_default_month(15, 7) == 1
    config = small_run.config.model_copy(deep=True)
    config.run.default_dpd = 90
    vintages = [{"origination_month": 0, "loans": 100,
                 "cumulative_default": [0.0, 0.0, 0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.05]},
                {"origination_month": 1, "loans": 80, "cumulative_default": [0.0] * 4}]
    summary = {**small_run.summary, "market": {**small_run.summary["market"],
                                               "vintages": vintages}}
    columns = _vintage_columns(render_report(config, summary, []))
    # No vintage is 12 months old: no column for it.
    assert [h for h in columns if h.startswith("MOB")] == ["MOB 4", "MOB 6", "MOB 9"]
    assert columns["MOB 4"] == ["1.00%", "0.00%"] and columns["MOB 9"] == ["5.00%", ""]
