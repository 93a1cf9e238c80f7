"""The rule engine: ordered strategy-table rules evaluated vectorised over a batch.

Conditions are parsed with Python's ``ast`` module and then checked against a whitelist of
node types (comparisons, boolean and arithmetic operators, numbers, field names); they are
evaluated by walking that tree with numpy operations over whole columns. Nothing is ever
passed to ``eval``. A comparison with a missing value (NaN, data not queried) is false.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simfin.lending.batch import DECLINED, REFERRED, ApplicationBatch
from simfin.lending.fields import FIELD_NAMES
from simfin.lending.pipeline import DecisionContext, Stage

_COMPARE: dict[type, Callable] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_ARITH: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class RuleSyntaxError(ValueError):
    """A rule condition does not parse or names an unknown field."""


@dataclass(frozen=True)
class Condition:
    """A compiled, validated condition; call :meth:`evaluate` on a batch's columns."""

    text: str
    tree: ast.expr
    fields: frozenset[str]

    def evaluate(self, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Boolean mask of the rows where the condition holds."""
        with np.errstate(invalid="ignore", divide="ignore"):
            result = _eval(self.tree, columns)
        return np.broadcast_to(np.asarray(result, dtype=bool), (n,))


def compile_condition(text: str, fields: frozenset[str] = FIELD_NAMES) -> Condition:
    """Parse and validate a condition such as ``bureau_multi_lending >= 4 and age_years < 25``.

    Raises:
        RuleSyntaxError: If the text does not parse, uses a construct outside the grammar,
            or names a field that is not in ``fields``.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise RuleSyntaxError(f"cannot parse {text!r}: {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in fields:
                raise RuleSyntaxError(f"unknown field {node.id!r} in {text!r}")
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise RuleSyntaxError(f"only numbers are allowed as constants in {text!r}")
        elif not isinstance(node, (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not,
                                   ast.USub, ast.BinOp, ast.Compare, ast.Load,
                                   *_COMPARE, *_ARITH)):
            raise RuleSyntaxError(f"{type(node).__name__} is not allowed in {text!r}")
    return Condition(text=text, tree=tree, fields=frozenset(names))


def _eval(node: ast.expr, cols: Mapping[str, np.ndarray]):
    if isinstance(node, ast.Name):
        return cols[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BoolOp):
        values = [np.asarray(_eval(v, cols), dtype=bool) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = values[0]
        for v in values[1:]:
            out = combine(out, v)
        return out
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, cols)
        return np.logical_not(value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BinOp):
        return _ARITH[type(node.op)](_eval(node.left, cols), _eval(node.right, cols))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, cols)
        out = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, cols)
            # Missing data compares false, whatever the operator (NaN != x is True in numpy).
            part = _COMPARE[type(op)](left, right) & _known(left) & _known(right)
            out = part if out is None else np.logical_and(out, part)
            left = right
        return out
    raise RuleSyntaxError(f"cannot evaluate {ast.dump(node)}")  # unreachable after compile


def _known(value) -> np.ndarray | bool:
    """False where a value is missing (NaN)."""
    return ~np.isnan(value) if np.asarray(value).dtype.kind == "f" else True


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
        bits: Flag bit of each rule (at most 63), so that engines running different parts
            of one strategy table share one bit numbering.
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
