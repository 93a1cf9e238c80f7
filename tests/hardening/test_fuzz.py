"""Fuzz over every leaf of the baseline config through ``--set`` paths: each mutation is
either refused with a one-line ConfigError or runs a (tiny) market without an exception or
a numeric warning.

Runs in-process (a subprocess per example would cost seconds each); the CLI turns exactly
these ConfigErrors into its one-line exit 2 (see the other modules). The default profile
runs 120 examples in well under a minute; maintainers run more with
``HYPOTHESIS_PROFILE=fuzz-long python -m pytest tests/hardening/test_fuzz.py`` (3,000).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfin
from simfin import ConfigError
from simfin.runner import resolve

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"
TINY = ["population.n_consumers=300", "run.steps=12"]
settings.register_profile("fuzz-default", max_examples=120, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-long", max_examples=3_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-default")
PROFILE = PROFILE if PROFILE.startswith("fuzz-") else "fuzz-default"


def _leaves(node, prefix=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}{key}.")
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{prefix}{i}.")
    else:
        yield prefix[:-1], node


CONFIG = simfin.load_config(BASELINE)
LEAVES = sorted(_leaves(CONFIG.model_dump(mode="json")), key=lambda leaf: leaf[0])
LENDERS = [lender.name for lender in CONFIG.lenders]
EDGE = st.sampled_from([0, -1, 1, 2**63, 10**30, -(10**30), 0.5, -0.5, 1e308, math.inf,
                        math.nan, None, True, "", "x", "../x", [], [1, 2], {}, {"a": 1},
                        "é" * 100, "age_years <", 7])


def _mutations(value):
    if isinstance(value, bool):
        return st.one_of(st.booleans(), EDGE)
    if isinstance(value, (int, float)):
        scaled = st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: value * f)
        return st.one_of(EDGE, scaled, st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True))
    if isinstance(value, list):
        return st.one_of(EDGE, st.lists(st.integers(-10, 400), max_size=5),
                         st.lists(st.floats(-1, 2), max_size=5))
    return st.one_of(EDGE, st.text(max_size=30))


@st.composite
def override(draw):
    path, value = draw(st.sampled_from(LEAVES))
    new = draw(_mutations(value))
    if path.startswith("lenders.") and draw(st.booleans()):  # address the lender by name
        parts = path.split(".")
        parts[1] = LENDERS[int(parts[1])]
        path = ".".join(parts)
    text = yaml.safe_dump(new, default_flow_style=True, width=10**6).strip()
    text = text.removesuffix("...").strip()
    return f"{path}={text}"


# A numeric warning (overflow, a NaN cast to int) in a validated market is a defect: the
# run would finish with nonsense (the first one found: incomes overflowing int64 cents).
@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(settings.get_profile(PROFILE))
@given(item=override())
def test_a_mutated_baseline_is_refused_or_runs(item: str):
    try:
        config = resolve(BASELINE, overrides=[*TINY, item])
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) <= 500, message[:600]
        return
    if config.population.n_consumers > 3_000 or config.run.total_days > 60:
        return  # a valid but large market: its validation is what is fuzzed here
    result = simfin.run(config)
    assert len(result.steps) == config.run.total_days * len(config.lenders)
