"""The ``Regulator`` agent: the policy in force, and its calendar of changes.

Policy binds every lender: the cap on the all-in APR, the cap on loan-to-income, and the
data-sharing mandate (the consortium exists and every lender shares its loans with it).
``policy.schedule`` entries change them on given days, as regulators did in China (the
2015 court rules, the 2020 4x LPR rule, the 2021 guidance to an all-in 24 %).
"""

from __future__ import annotations

import mesa

from simfin.config import PolicyConfig
from simfin.lending.data_sources import DataSource


class Regulator(mesa.Agent):
    """Holds the policy in force and applies scheduled changes to the lenders.

    Args:
        model: The market model.
        policy: The policy config (levers on day 0 and the schedule).
        consortium: The consortium data source, if the market has one.

    Attributes:
        apr_cap, max_loan_to_income, consortium: The levers in force today.
    """

    def __init__(self, model: mesa.Model, policy: PolicyConfig,
                 consortium: DataSource | None = None) -> None:
        super().__init__(model)
        self.apr_cap = policy.apr_cap
        self.max_loan_to_income = policy.max_loan_to_income
        self.consortium = policy.consortium
        self._schedule = list(policy.schedule)
        self._source = consortium

    def step_day(self, day: int, lenders: list) -> bool:
        """Apply the changes dated ``day``; returns whether anything changed."""
        changes = [c for c in self._schedule if c.day == day]
        for change in changes:
            for name in change.model_fields_set - {"day"}:
                setattr(self, name, getattr(change, name))
        if not changes:
            return False
        for lender in lenders:
            lender.apply_policy(self.apr_cap, self.max_loan_to_income)
        if self._source is not None:
            self._source.active = bool(self.consortium)
            if self.consortium:
                self._source.members[:] = True
        return True
