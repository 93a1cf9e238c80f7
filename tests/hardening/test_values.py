"""Class 2: values that validated, then crashed a run. Each is now refused at load with
one line naming the field, or (for lenders by name) applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.conftest import assert_refused, simfin_cli

CASES = [
    ("policy.apr_cap=.inf", "policy.apr_cap: input should be a finite number"),
    ("population.willingness_concentration=.nan", "population.willingness_concentration:"),
    ("lenders.0.capital_cents=" + "9" * 25, "lenders.0.capital_cents: must be <= "),
    ("scenarios.0.weekend_multiplier=1.0e+300", "scenarios.0.weekend_multiplier: must be <="),
    ("lenders.².risk.approval_threshold=0.3", "lenders.²: no item named"),
    ("run.steps=" + "9" * 5000, "run.steps: cannot read a value"),
    ("run.name=" + "[" * 3000 + "]" * 3000, "run.name: nested too deeply"),
    ("lenders.platfrom.risk.approval_threshold=0.3", "(did you mean 'platform'?)"),
    ("population.n_consumer=300", "population.n_consumer: unknown field (did you mean "
     "'n_consumers'?)"),
]


@pytest.mark.parametrize(("override", "message"), CASES, ids=[c[1][:30] for c in CASES])
def test_value_refused_with_one_line(market: Path, override: str, message: str):
    assert_refused(simfin_cli("run", str(market), "--set", override, cwd=market.parent),
                   message)
    assert not (market.parent / "runs").exists()
