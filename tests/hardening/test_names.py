"""Class 1: names become paths. Unsafe names are refused at load; every file a run writes
resolves inside its output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.conftest import assert_refused, files_under, simfin_cli


@pytest.mark.parametrize(("override", "field"), [
    ("run.name=../escaped", "run.name"),
    ("lenders.0.name=a/b", "lenders.0.name"),
    ("scenarios.0.name=.hidden", "scenarios.0.name"),
    ("channels.1.name=" + "x" * 65, "channels.1.name"),
])
def test_unsafe_names_are_refused(market: Path, override: str, field: str):
    proc = simfin_cli("run", str(market), "--set", override, cwd=market.parent)
    assert_refused(proc, f"error: {field}: must be a safe name")
    assert files_under(market.parent) == {market.resolve()}


def test_every_file_a_run_writes_is_inside_its_output_folder(market: Path):
    before = files_under(market.parent)
    proc = simfin_cli("run", str(market), "--set", "lenders.platform.name=acme.v2",
                      cwd=market.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (out,) = (market.parent / "runs").iterdir()
    assert out.name.startswith("tiny-seed42-")
    written = files_under(market.parent) - before
    assert len(written) >= 6
    assert all(path.is_relative_to(out.resolve()) for path in written), written
    # nothing else appeared (no staging folder left, no stray file next to the run)
    assert [p.name for p in (market.parent / "runs").iterdir()] == [out.name]
    assert "acme.v2" in (out / "summary.json").read_text(encoding="utf-8")
