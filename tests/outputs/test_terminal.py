"""The terminal summary: fits 80 columns with many lenders, shows declines and warnings."""

from __future__ import annotations

import copy

from rich.console import Console

from simfin.outputs.tables import ROWS
from simfin.outputs.terminal import print_summary


def _many_lenders(summary: dict, n: int) -> dict:
    one = next(iter(summary["lenders"].values()))
    out = copy.deepcopy(summary)
    out["lenders"] = {f"lender_{k:02d}_long_name": copy.deepcopy(one) for k in range(n)}
    return out


def _printed(summary: dict, width: int = 80) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_summary(summary, console)
    return console.export_text()


def test_many_lenders_fit_80_columns_in_blocks(small_run):
    summary = _many_lenders(small_run.summary, 7)
    text = _printed(summary)
    assert max(len(line) for line in text.splitlines()) <= 80
    for name in summary["lenders"]:
        assert name in text  # every lender shown, none truncated
    # the table is repeated in blocks, each with every indicator
    blocks = text.count("simfin summary (")
    assert blocks >= 3
    assert text.count(ROWS[0][1]) == blocks


def test_two_lenders_fit_in_one_table(small_run):
    text = _printed(small_run.summary)
    assert "simfin summary (" not in text and "simfin summary" in text


def test_money_has_separators_and_ratios_are_percentages(small_run):
    text = _printed(small_run.summary, width=120)
    disbursed = small_run.summary["market"]["disbursed"] // 100
    assert disbursed > 1000  # precondition: a number that needs a separator
    assert f"{round(small_run.summary['market']['disbursed'] / 100):,}" in text
    assert f"{small_run.summary['market']['approval_rate']:.1%}" in text


def test_decline_reasons_and_warnings_are_printed(small_run):
    summary = copy.deepcopy(small_run.summary)
    summary["warnings"] = [{"code": "x", "lender": None, "message": "Something is off."}]
    text = _printed(summary)
    top = max(next(iter(summary["lenders"].values()))["declines_by_reason"].items(),
              key=lambda kv: kv[1])[0]
    assert "Top decline reasons" in text and top in text
    assert "Something is off." in text


def test_blocks_are_even(small_run):
    from simfin.outputs.terminal import _blocks

    summary = _many_lenders(small_run.summary, 4)  # 5 columns with the market
    sizes = [len(b) for b in _blocks(summary, 80)]
    assert sum(sizes) == 5 and len(sizes) > 1
    assert max(sizes) - min(sizes) <= 1
