"""The per-application reference: a lender's decisions made one application at a time in
plain Python, the way a plain Mesa model decides inside an agent's method.

It follows the same rules as the batch pipeline (product limits, rules, data lookups,
biometric check, score, grade and price, APR cap) but never looks at more than one
application. ``tests/bench/test_reference_lender.py`` proves that the batch pipeline makes
exactly the same decisions; the benchmark suite reports its speed next to the pipeline's.

Random draws: the pipeline's verification stage draws one uniform per pending row, in row
order, from the decision context's generator; the reference draws one per application that
reaches the check, in the same order. Given generators in the same state, both see the
same uniforms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from simfin.lending.batch import APPROVED, DECLINED, NO_REASON, PENDING, REFERRED
from simfin.lending.data_sources import DataSourceStage
from simfin.lending.demand_pricing import SEGMENT_COLUMNS
from simfin.lending.pipeline import Pipeline
from simfin.lending.pricing import PricingStage, capped_price
from simfin.lending.product import REVOLVING, ProductStage
from simfin.lending.rules import RuleEngine
from simfin.lending.scoring import (
    MODEL_FEATURES,
    ScoringStage,
    feature_values,
    one_thread,
    source_column,
)
from simfin.lending.verification import VerificationStage

F32 = np.float32


@dataclass
class Decision:
    """One application's outcome (the batch's columns of the same names)."""

    decision: int
    reason: int
    grade: int
    pd: float
    apr: float
    all_in_apr: float


class ReferenceLender:
    """Decides applications one at a time with the stages' parameters.

    Args:
        pipeline: The lender's pipeline (its stages give the parameters).
        rng: The generator the biometric check draws from.
    """

    def __init__(self, pipeline: Pipeline, rng: np.random.Generator) -> None:
        self.pipeline = pipeline
        self.rng = rng
        self._asked: dict[int, int] = {}  # a consumer's line draws so far in this batch

    def decide_all(self, applications: Iterable[Mapping[str, object]]) -> list[Decision]:
        """Decide a day's applications in order (a new day: line draws start afresh)."""
        self._asked = {}
        return [self.decide(app) for app in applications]

    def decide(self, application: Mapping[str, object]) -> Decision:
        """Decide one application, given as a mapping of field name to value."""
        app = dict(application)
        app.setdefault("decision", PENDING)
        app.setdefault("reason", NO_REASON)
        app["pd"] = F32(np.nan)
        for stage in self.pipeline.stages:
            step = _STEPS.get(type(stage))
            if step is None:
                raise TypeError(f"no per-application reference for {type(stage).__name__}")
            step(self, stage, app)
        if app["decision"] == PENDING:
            app["decision"] = APPROVED
        return Decision(int(app["decision"]), int(app["reason"]), int(app["grade"]),
                        float(app["pd"]), float(app["apr"]), float(app["all_in_apr"]))

    # -- one stage, one application -----------------------------------------------------

    def product(self, stage: ProductStage, app: dict) -> None:
        """Product limits; a revolving draw shares the line with the day's earlier ones."""
        kind = int(app["product"])
        low, high, min_term, max_term, fee_rate, multiple = stage.limits[kind]
        cap = int(round(high))
        if kind == REVOLVING:
            limit = int(app["line_limit_cents"])
            if limit <= 0:
                limit = int(round(min(multiple * float(app["stated_income_cents"]), high)))
            app["line_limit_cents"] = limit
            cap = min(cap, limit - int(app["line_used_cents"]))
        amount = min(int(app["amount_cents"]), cap)
        if kind == REVOLVING:
            consumer = int(app["consumer"])
            before = self._asked.get(consumer, 0)
            self._asked[consumer] = before + amount
            amount = min(max(cap - before, 0), amount)
        if amount < round(low):
            _decline(app, stage.amount_reason)
        amount = max(amount, 0)
        app["amount_cents"] = amount
        app["term_days"] = min(max(int(app["term_days"]), int(round(min_term))),
                               int(round(max_term)))
        app["fee_rate"] = F32(fee_rate)
        app["amount_to_income"] = F32(amount / max(int(app["stated_income_cents"]), 1))

    def rules(self, stage: RuleEngine, app: dict) -> None:
        """The strategy table, rule by rule, on this application's values."""
        for rule, bit in zip(stage.rules, stage.bits, strict=True):
            if app["decision"] != PENDING:
                break
            if not rule.condition.evaluate(app, 1)[0]:
                continue
            code = stage.reason_codes.index(rule.reason)
            if rule.action == "flag":
                app["flags"] = int(app["flags"]) | (1 << bit)
            else:
                _decline(app, code, REFERRED if rule.action == "refer" else DECLINED)

    def data(self, stage: DataSourceStage, app: dict) -> None:
        """Query each source about this applicant."""
        if app["decision"] != PENDING:
            return
        consumer = np.array([int(app["consumer"])])
        for source in stage.sources:
            covered = bool(source.covered[consumer[0]])
            for name, read in source.fields.items():
                value = F32(np.asarray(read(consumer), dtype=np.float32)[0])
                app[name] = value if covered else F32(source.miss_values.get(name, np.nan))

    def verify(self, stage: VerificationStage, app: dict) -> None:
        """The biometric check: one uniform for this applicant."""
        if app["decision"] != PENDING:
            return
        u = self.rng.random()
        if bool(app["truth_is_fraud"]):
            passes = u < stage.false_accept_rate
        else:
            passes = u >= stage.false_reject_rate
        if not passes:
            _decline(app, stage.reason_code)

    def score(self, stage: ScoringStage, app: dict) -> None:
        """This applicant's predicted default probability; decline above the threshold."""
        if not stage.in_use or app["decision"] != PENDING:
            return
        x = [_feature(app, name) for name in MODEL_FEATURES]
        folded = stage.folded_
        if folded is not None:
            z = folded.intercept
            for value, w, a in zip(x, folded.weights, folded.nan_terms, strict=True):
                if w == 0 and a == 0:
                    continue
                term = value * w
                if np.isnan(term) and not np.isnan(a):
                    term = a
                z = z + term
            pd_ = F32(1) / (np.exp(-z) + F32(1))
        else:
            row = np.array([x], dtype=np.float32)
            row[:, stage.unobserved_] = 0.0
            with one_thread():
                pd_ = F32(stage.estimator_.predict_proba(row)[0, 1])
        app["pd"] = pd_
        if pd_ > stage.approval_threshold:
            _decline(app, stage.reason_code)

    def price(self, stage: PricingStage, app: dict) -> None:
        """Grade, price and caps of one application, by the stage's own :func:`capped_price`.

        A demand-based policy's price is reproduced without its price tests only: those
        draw from the lender's stream for the whole batch after the biometric check's
        draws, an order that deciding one application at a time cannot follow.
        """
        if stage.draws:
            raise NotImplementedError("the reference cannot reproduce price tests (they "
                                      "draw for the whole batch after verification)")
        segment = ({k: np.array([app[k]]) for k in SEGMENT_COLUMNS if k in app}
                   if stage.demand is not None else None)
        grade, apr, total, over = capped_price(
            stage, np.array([app["pd"]], dtype=np.float32), np.array([app["term_days"]]),
            np.array([app["fee_rate"]]), np.array([app["amount_cents"]]), segment)
        app["grade"] = int(grade[0])
        app["apr"], app["all_in_apr"] = F32(apr[0]), F32(total[0])
        if stage.max_loan_to_income is not None and app["amount_cents"] > (
                stage.max_loan_to_income * max(app["stated_income_cents"], 1) * 12):
            _decline(app, stage.lti_reason)
        if over[0]:
            _decline(app, stage.cap_reason)


def _decline(app: dict, reason: int, status: int = DECLINED) -> None:
    if app["decision"] == PENDING:
        app["decision"], app["reason"] = status, reason


def _feature(app: dict, name: str) -> np.float32:
    return F32(feature_values(name, np.array([app[source_column(name)]]))[0])


_STEPS = {ProductStage: ReferenceLender.product, RuleEngine: ReferenceLender.rules,
          DataSourceStage: ReferenceLender.data, VerificationStage: ReferenceLender.verify,
          ScoringStage: ReferenceLender.score, PricingStage: ReferenceLender.price}
