"""The ``Regulator`` agent: the policy in force, and its calendar of changes.

Policy binds every lender: the cap on the all-in APR, the cap on loan-to-income, the
data-sharing mandate (the consortium exists and every lender shares its loans with it) and
the minimum capital ratio and the cap on borrowed funding (enforced by
:class:`simfin.agents.conduct.Conduct`), and the minimum own share of a co-funded loan
(enforced by :class:`simfin.lending.co_lending.CoLending`).
``policy.schedule`` entries change them on given days, as regulators did in China (the
2015 court rules, the 2020 4x LPR rule, the 2021 guidance to an all-in 24 %). An entry
changes exactly the fields it names (:meth:`simfin.config.policy.PolicyChange.changes`).
"""

from __future__ import annotations

from typing import Any

import mesa

from simfin.config import PolicyConfig
from simfin.config.policy import POLICY_LEVERS
from simfin.lending.data_sources import DataSource


class Regulator(mesa.Agent):
    """Holds the policy in force and applies scheduled changes to the lenders.

    Args:
        model: The market model.
        policy: The policy config (levers on day 0 and the schedule).
        consortium: The consortium data source, if the market has one.
        co_funded: Whether any lender has funding partners (the minimum own share is then
            recorded even when it is never set).

    Attributes:
        apr_cap, max_loan_to_income, consortium: The levers in force today.
        initial: The levers on day 0, before any schedule entry.
        changes_applied: One ``{"day": int, "changes": {field: value}}`` per schedule entry
            applied, in the order applied; ``changes`` holds exactly the fields the entry
            names. An entry dated on or after ``run.steps`` never appears.
        in_force: The policy the market enforced, day by day, as spans
            ``{"from_day": int, "apr_cap": ..., "consortium": ..., "max_loan_to_income": ...}``
            (a new span where anything changed), read each lending day where the policy acts:
            the caps from the lenders' pricing stages, the consortium from its data source.
    """

    def __init__(self, model: mesa.Model, policy: PolicyConfig,
                 consortium: DataSource | None = None, co_funded: bool = False) -> None:
        super().__init__(model)
        self.apr_cap = policy.apr_cap
        self.max_loan_to_income = policy.max_loan_to_income
        self.consortium = policy.consortium
        self.min_capital_ratio = policy.min_capital_ratio
        self.min_own_share = policy.min_own_share
        self.max_funding_multiple = policy.max_funding_multiple
        # The capital rule is recorded only where a run has one (older summaries unchanged),
        # the own-share and funding rules likewise, the own share also in any run with
        # funding partners.
        self.capital_rule = policy.sets("min_capital_ratio")
        self._recorded = {"min_capital_ratio": self.capital_rule,
                          "min_own_share": policy.sets("min_own_share") or co_funded,
                          "max_funding_multiple": policy.sets("max_funding_multiple")}
        self.initial: dict[str, Any] = self.levers()
        self.changes_applied: list[dict[str, Any]] = []
        self.in_force: list[dict[str, Any]] = []
        self._schedule = list(policy.schedule)
        self._source = consortium

    def levers(self) -> dict[str, Any]:
        """The levers in force, by field name (``min_capital_ratio`` only in a run with a
        capital rule).
        """
        return {name: getattr(self, name) for name in POLICY_LEVERS
                if self._recorded.get(name, True)}

    def step_day(self, day: int, lenders: list) -> bool:
        """Apply the changes dated ``day``, record the policy in force, and return whether
        anything was applied.
        """
        changes = [c for c in self._schedule if c.day == day]
        for change in changes:
            named = change.changes()
            for name, value in named.items():
                setattr(self, name, value)
            self.changes_applied.append({"day": day, "changes": named})
        if changes:
            for lender in lenders:
                lender.apply_policy(self.apr_cap, self.max_loan_to_income)
            if self._source is not None:
                self._source.set_open(bool(self.consortium))
        self._record(day, lenders)
        return bool(changes)

    def enforced(self, lenders: list) -> dict[str, Any]:
        """The policy as the market enforces it: the caps of every lender's pricing stages
        (they must agree) and whether the consortium's data source is open.

        Raises:
            RuntimeError: Two pricing stages enforce different caps (a defect, never a
                user mistake).
        """
        caps = {(stage.apr_cap, stage.max_loan_to_income)
                for lender in lenders for stage in lender.pricers}
        if len(caps) > 1:
            raise RuntimeError(f"lenders enforce different caps: {caps}")
        apr_cap, max_lti = caps.pop() if caps else (self.apr_cap, self.max_loan_to_income)
        consortium = self.consortium if self._source is None else self._source.active
        enforced = {"apr_cap": apr_cap, "consortium": bool(consortium),
                    "max_loan_to_income": max_lti}
        for name in ("min_capital_ratio", "min_own_share", "max_funding_multiple"):
            if self._recorded[name]:  # enforced by Conduct and CoLending from these values
                enforced[name] = getattr(self, name)
        return enforced

    def _record(self, day: int, lenders: list) -> None:
        today = self.enforced(lenders)
        if not self.in_force or {k: self.in_force[-1][k] for k in today} != today:
            self.in_force.append({"from_day": day, **today})

    def record(self) -> dict[str, Any]:
        """``summary.json``'s ``policy``: the levers on day 0, the changes applied and the
        policy in force by span of days (see the attributes).
        """
        return {"initial": dict(self.initial),
                "changes_applied": [{"day": c["day"], "changes": dict(c["changes"])}
                                    for c in self.changes_applied],
                "in_force": [dict(span) for span in self.in_force]}
