"""Class 4: small files that hung the loader or flooded the terminal. Each is refused in a
few seconds with one short line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.conftest import assert_refused, simfin_cli

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))

CASES = {
    "alias_bomb": (BOMB, "too many values"),
    "too_large": ("run: {name: x}\n" + "#" * 1_100_000 + "\n", "file too large"),
    "million_items": ("x: [" + ",".join(["1"] * 120_000) + "]\n", "too many values"),
    "long_name": ("run: {name: " + "n" * 900_000 + "}\n", "run.name: must be a safe name"),
    "duplicate_key": ("run: {steps: 3}\npopulation: {n_consumers: 300}\nrun: {steps: 4}\n",
                      "duplicate key 'run' (line 3)"),
    "comment_only": ("# a market\n", "the file is empty"),
    "deep_nesting": ("run: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
}


@pytest.mark.parametrize("case", CASES)
def test_pathological_file_refused_quickly(tmp_path: Path, case: str):
    text, message = CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    proc = simfin_cli("run", str(path), cwd=tmp_path, timeout=30)
    assert_refused(proc, message)
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]
