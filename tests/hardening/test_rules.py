"""Class 3: rules that compiled, then crashed or computed wrong answers. A rule is either
refused at load naming it, or evaluated in float64 without error and equal to a
plain-Python oracle (the property test below)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simfin.lending.rules import RuleSyntaxError, compile_condition
from tests.hardening.conftest import assert_refused, simfin_cli

RULE = "lenders.0.risk.rules.0.when="


@pytest.mark.parametrize(("when", "message"), [
    ("-" * 200 + "age_years < 3", "nested too deeply"),
    ("age_yeras < 18", "unknown field 'age_yeras' (did you mean 'age_years'?)"),
    ("age_years < 1e999", "constant out of range"),
    ("age_years * 2", "is a number, not a condition"),
    ("age_years < 3 " + "or age_years < 3 " * 40, "rule too long"),
])
def test_bad_rule_refused_naming_the_rule(market: Path, when: str, message: str):
    proc = simfin_cli("run", str(market), "--set", RULE + when, cwd=market.parent)
    assert_refused(proc, "lenders.0.risk.rules.0.when:", message)


def test_rules_that_used_to_crash_or_wrap_now_run(market: Path):
    # A division by a constant zero, a constant past int64 and a product of four incomes
    # (wrapped to negative in int64) compile and run in float64.
    rules = ["age_years / 0 < 0", "stated_income_cents > 99999999999999999999",
             "stated_income_cents * stated_income_cents * stated_income_cents"
             " * stated_income_cents < 0"]
    args = [a for i, when in enumerate(rules)
            for a in ("--set", f"lenders.0.risk.rules.{i}.when={when}")]
    proc = simfin_cli("run", str(market), *args, "--out", "out", cwd=market.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cond = compile_condition(rules[2])
    income = np.array([600_000, 10**6, 5 * 10**6], dtype=np.int64)
    assert not cond.evaluate({"stated_income_cents": income}, 3).any()  # never negative


# ---- property test: random well-formed expressions against a plain-Python oracle ----

FIELDS = ["age_years", "stated_income_cents", "bureau_hit", "digital_affinity"]
NUMBERS = st.one_of(st.integers(-10**25, 10**25),
                    st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
                    st.sampled_from([0, 0.0, 1, 2**63, 1e-300]))


def _num_exprs():
    leaf = st.one_of(st.sampled_from(FIELDS), NUMBERS.map(lambda x: repr(abs(x))))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"(-{e})")), max_leaves=6)


def _conditions():
    compare = st.tuples(_num_exprs(), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
                        _num_exprs()).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    return st.recursive(compare, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"(not {e})")), max_leaves=4)


def _div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _mul(a: float, b: float) -> float:
    return a * b  # Python floats overflow to inf, like float64


def oracle(text: str, row: dict[str, float]) -> bool:
    """The documented semantics, one row at a time, in plain Python floats."""
    import ast

    def num(node):
        if isinstance(node, ast.Name):
            return row[node.id]
        if isinstance(node, ast.Constant):
            try:
                return float(node.value)
            except OverflowError:
                return math.inf
        if isinstance(node, ast.UnaryOp):
            return -num(node.operand)
        a, b = num(node.left), num(node.right)
        op = type(node.op)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: _mul(a, b),
                ast.Div: lambda: _div(a, b)}[op]()

    def cond(node):
        if isinstance(node, ast.BoolOp):
            parts = [cond(v) for v in node.values]
            return all(parts) if isinstance(node.op, ast.And) else any(parts)
        if isinstance(node, ast.UnaryOp):
            return not cond(node.operand)
        values = [num(node.left), *(num(c) for c in node.comparators)]
        ops = {ast.Lt: float.__lt__, ast.LtE: float.__le__, ast.Gt: float.__gt__,
               ast.GtE: float.__ge__, ast.Eq: float.__eq__, ast.NotEq: float.__ne__}
        return all(not math.isnan(a) and not math.isnan(b) and ops[type(op)](a, b)
                   for op, a, b in zip(node.ops, values, values[1:], strict=False))

    return cond(ast.parse(text, mode="eval").body)


COLUMN = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.integers(-2**53, 2**53).map(float), st.sampled_from([0.0, math.nan]))


@settings(max_examples=150, deadline=None)
@given(text=_conditions(), rows=st.lists(st.fixed_dictionaries({f: COLUMN for f in FIELDS}),
                                         min_size=1, max_size=5))
def test_every_rule_is_refused_or_equals_the_oracle(text: str, rows: list[dict]):
    try:
        cond = compile_condition(text)
    except RuleSyntaxError:
        return  # refused at load: allowed (too long, too deep, out-of-range constant)
    columns = {f: np.array([r[f] for r in rows]) for f in FIELDS}
    # integer columns are read as float64 too
    columns["bureau_hit"] = np.clip(np.nan_to_num(columns["bureau_hit"], nan=0.0), 0.0,
                                    1.0).astype(np.int64)
    got = cond.evaluate(columns, len(rows))
    expected = [oracle(text, {f: float(columns[f][i]) for f in FIELDS})
                for i in range(len(rows))]
    assert got.tolist() == expected, text
