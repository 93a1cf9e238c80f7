"""The rule engine: ordered strategy-table rules evaluated vectorised over a batch.

Conditions are parsed with Python's ``ast`` module, checked against a small typed grammar
and evaluated by walking that tree with numpy operations over whole columns; nothing is
ever passed to ``eval``.

The semantics, chosen so that a rule that compiles cannot fail on any batch:

- Arithmetic (``+ - * /``, unary ``-``) is IEEE float64: every field and constant is read as
  float64, so products never wrap around (they may reach ``inf``), ``x / 0`` is ``inf`` (or
  ``nan`` for ``0 / 0``) and nothing raises. Constant sub-expressions are not folded ahead.
- A missing value (NaN: data not queried or not covered) propagates through arithmetic, and
  a comparison with a missing or NaN operand is false, whatever the operator; ``not`` of
  such a comparison is therefore true.
- Expressions are typed: arithmetic and comparisons take numbers, ``and``/``or``/``not``
  take conditions, and a rule's whole text must be a condition (``age_years < 18``, not
  ``age_years``).
- A rule is at most :data:`MAX_RULE_CHARS` characters and :data:`MAX_RULE_DEPTH` levels of
  nesting; constants are finite numbers.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simfin.lending.batch import DECLINED, REFERRED, ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Stage
from simfin.lending.registry import SOURCES

MAX_RULE_CHARS = 500
"""Longest rule condition text."""
MAX_RULE_DEPTH = 20
"""Deepest nesting of a rule condition's expression tree."""
MAX_DISTINCT_RULES = 63
"""Distinct rules (name, condition, action, reason) a lender's champion and challenger may
hold together: each takes one bit of the int64 ``flags`` column (bits 0 to 62, the sign bit
aside; :meth:`simfin.lending.assembly.StageBuild.flag_bit`). The config checks it too, so
that more is a config error."""

_COMPARE: dict[type, Callable] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_ARITH: dict[type, Callable] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
}
_NUMBER, _CONDITION = "number", "condition"


class RuleSyntaxError(ValueError):
    """A rule condition does not parse, is outside the grammar or names an unknown field."""


@dataclass(frozen=True)
class Condition:
    """A compiled, validated condition; call :meth:`evaluate` on a batch's columns."""

    text: str
    tree: ast.expr
    fields: frozenset[str]

    def evaluate(self, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Boolean mask of the rows where the condition holds."""
        values = {name: np.asarray(columns[name], dtype=np.float64) for name in self.fields}
        with np.errstate(all="ignore"):
            result = _eval(self.tree, values)
        return np.broadcast_to(np.asarray(result, dtype=bool), (n,))


def compile_condition(text: str, fields: frozenset[str] | None = None) -> Condition:
    """Parse and validate a condition such as ``bureau_multi_lending >= 4 and age_years < 25``.

    Raises:
        RuleSyntaxError: If the text is too long or too deep, does not parse, uses a
            construct outside the grammar, mixes numbers and conditions, or names a field
            that is not in ``fields`` (None: the fields of the application and of every
            registered data source).
    """
    shown = text if len(text) <= 60 else f"{text[:57]}..."
    if len(text) > MAX_RULE_CHARS:
        raise RuleSyntaxError(f"rule too long (at most {MAX_RULE_CHARS} characters): "
                              f"{shown!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise RuleSyntaxError(f"cannot parse {shown!r}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleSyntaxError(f"cannot parse {shown!r}: nested too deeply") from None
    names: set[str] = set()
    fields = SOURCES.field_names() if fields is None else fields
    kind = _check(tree, fields, names, shown, 1)
    if kind != _CONDITION:
        raise RuleSyntaxError(f"{shown!r} is a number, not a condition (compare it, "
                              "e.g. '... > 0')")
    return Condition(text=text, tree=tree, fields=frozenset(names))


def _check(node: ast.AST, fields: frozenset[str], names: set[str], shown: str,
           depth: int) -> str:
    """The type of ``node`` (number or condition); raises on anything outside the grammar."""
    if depth > MAX_RULE_DEPTH:
        raise RuleSyntaxError(f"{shown!r}: nested too deeply (at most {MAX_RULE_DEPTH} "
                              "levels)")

    def need(child: ast.AST, kind: str) -> None:
        got = _check(child, fields, names, shown, depth + 1)
        if got != kind:
            raise RuleSyntaxError(f"{shown!r}: expected a {kind}, got a {got} "
                                  f"({ast.unparse(child)[:40]!r})")

    if isinstance(node, ast.Name):
        if node.id not in fields:
            close = difflib.get_close_matches(node.id, sorted(fields), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RuleSyntaxError(f"unknown field {node.id[:40]!r}{hint} in {shown!r}")
        names.add(node.id)
        return _NUMBER
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RuleSyntaxError(f"only numbers are allowed as constants in {shown!r}")
        try:
            number = float(value)
        except OverflowError:
            number = float("inf")
        if not np.isfinite(number):
            raise RuleSyntaxError(f"constant out of range (at most about 1.8e308) in "
                                  f"{shown!r}")
        return _NUMBER
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        need(node.operand, _NUMBER)
        return _NUMBER
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        need(node.operand, _CONDITION)
        return _CONDITION
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        need(node.left, _NUMBER)
        need(node.right, _NUMBER)
        return _NUMBER
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        for operand in (node.left, *node.comparators):
            need(operand, _NUMBER)
        return _CONDITION
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            need(value, _CONDITION)
        return _CONDITION
    what = type(getattr(node, "op", node)).__name__
    raise RuleSyntaxError(f"{what} is not allowed in {shown!r}")


def _eval(node: ast.expr, cols: Mapping[str, np.ndarray]):
    """Evaluate a checked tree in float64 (see the module docstring for the semantics)."""
    if isinstance(node, ast.Name):
        return cols[node.id]
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = _eval(node.values[0], cols)
        for value in node.values[1:]:
            out = combine(out, _eval(value, cols))
        return out
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, cols)
        return np.logical_not(value) if isinstance(node.op, ast.Not) else np.negative(value)
    if isinstance(node, ast.BinOp):
        return _ARITH[type(node.op)](_eval(node.left, cols), _eval(node.right, cols))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, cols)
        out = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, cols)
            # Missing data compares false, whatever the operator (NaN != x is True in numpy).
            part = _COMPARE[type(op)](left, right) & ~np.isnan(left) & ~np.isnan(right)
            out = part if out is None else np.logical_and(out, part)
            left = right
        return out
    raise RuleSyntaxError(f"cannot evaluate {ast.dump(node)}")  # unreachable after compile


@dataclass(frozen=True)
class Rule:
    """One row of the strategy table."""

    name: str
    condition: Condition
    action: str  # "reject" | "refer" | "flag"
    reason: str


class RuleEngine(Stage):
    """Pipeline stage: runs the rules in order on the pending rows.

    A ``reject`` rule declines and records its reason code; ``refer`` sends the row to manual
    review (declined in this model, at the review cost); ``flag`` only sets the rule's bit in
    ``flags`` (bit ``bits[i]`` for rule ``i``; by default its position). A row keeps the
    reason of the first rule that decided it.

    Args:
        rules: The ordered rules.
        reason_codes: The lender's reason-code table; the batch's ``reason`` column holds
            indexes into it.
        review_cost_cents: Cost of one manual review.
        bits: Flag bit of each rule (fewer than :data:`MAX_DISTINCT_RULES`), so that
            engines running different parts of one strategy table share one bit numbering.
    """

    row_wise = True

    def __init__(self, rules: Sequence[Rule], reason_codes: list[str],
                 review_cost_cents: int = 0, bits: Sequence[int] | None = None) -> None:
        self.rules = list(rules)
        self.reason_codes = reason_codes
        self.review_cost_cents = review_cost_cents
        self.bits = list(range(len(self.rules))) if bits is None else list(bits)
        self._reason_index = [reason_codes.index(r.reason) for r in self.rules]

    def run(self, batch: ApplicationBatch, ctx: DecisionContext) -> ApplicationBatch:
        """Apply the rules to the batch; returns the same batch."""
        for rule, reason, bit in zip(self.rules, self._reason_index, self.bits, strict=True):
            pending = batch.pending
            if not pending.any():
                break
            hit = rule.condition.evaluate(batch.columns, batch.n) & pending
            if rule.action == "flag":
                batch["flags"][:] |= hit * (np.int64(1) << bit)
            elif rule.action == "refer":
                batch.decline(hit, reason, status=REFERRED)
                batch.charge("review_cost", int(hit.sum()) * self.review_cost_cents)
            else:
                batch.decline(hit, reason, status=DECLINED)
        return batch
