"""Service and collections on online channels (in-app, WeChat-style IM, web IM, voice),
siloed or unified into one platform with a customer profile.

Service quality moves satisfaction; satisfaction feeds back into repayment, cures and
repeat borrowing (see :mod:`simfin.agents.consumer`). Collections raise the daily cure
probability of delinquent loans at a cost per contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class ServiceEffects(Protocol):
    """How service works on customers (``behaviour.service`` of the market config)."""

    satisfaction_step: float  # how far one resolved (unresolved) contact moves it to 1 (0)
    unified_quality_bonus: float  # one profile, no repeated questions
    silo_quality_penalty: float  # per extra silo: hand-offs, repeated questions
    unified_collection_bonus: float  # unified collections know each borrower's channel
    max_unified_quality: float  # the best resolution rate a unified platform reaches
    contact_period_days: float  # days ``contact_rate`` counts contacts over (a month)
    collection_period_days: float  # days ``collection_intensity`` counts them over (a week)


@dataclass(frozen=True)
class ServiceChannel:
    """One channel's cost, quality and collection effect."""

    name: str
    cost_per_contact_cents: int
    quality: float
    collection_effect: float


class ServiceDesk:
    """A lender's service and collections.

    Args:
        mode: ``siloed`` or ``unified``.
        channels: Channels the lender serves on.
        contact_rate: Service contacts per active borrower per month
            (``effects.contact_period_days``).
        collection_channel: Channel collections use.
        collection_intensity: Collection contacts per delinquent loan per week
            (``effects.collection_period_days``).
        effects: The behavioural coefficients of service (``behaviour.service``).
    """

    def __init__(self, mode: str, channels: list[ServiceChannel], contact_rate: float,
                 collection_channel: ServiceChannel, collection_intensity: float,
                 effects: ServiceEffects) -> None:
        self.mode = mode
        self.effects = effects
        self.channels = channels
        self.contact_rate = contact_rate
        self.collection_channel = collection_channel
        self.collection_intensity = collection_intensity

    @property
    def unified(self) -> bool:
        """Whether service runs on one platform with a shared customer profile."""
        return self.mode == "unified"

    @property
    def quality(self) -> float:
        """Probability that a service contact resolves the customer's issue."""
        base = float(np.mean([c.quality for c in self.channels]))
        if self.unified:
            return min(base + self.effects.unified_quality_bonus,
                       self.effects.max_unified_quality)
        return max(base - self.effects.silo_quality_penalty * (len(self.channels) - 1), 0.0)

    @property
    def cure_multiplier(self) -> float:
        """Factor on a delinquent borrower's daily cure probability from collections."""
        effect = self.collection_channel.collection_effect * np.log1p(self.collection_intensity)
        if self.unified:
            effect *= self.effects.unified_collection_bonus
        return float(1.0 + effect)

    def serve(self, borrowers: np.ndarray, satisfaction: np.ndarray, interactions: np.ndarray,
              rng: np.random.Generator) -> int:
        """Today's service contacts among ``borrowers`` (consumer ids); updates their
        satisfaction and interaction counts in place; returns the cost in cents.
        """
        if len(borrowers) == 0 or self.contact_rate == 0:
            return 0
        daily = self.contact_rate / self.effects.contact_period_days
        k = rng.binomial(len(borrowers), min(daily, 1.0))
        who = borrowers[rng.integers(0, len(borrowers), k)]
        resolved = rng.random(k) < self.quality
        step = np.float32(self.effects.satisfaction_step)
        satisfaction[who] += step * (resolved - satisfaction[who])
        np.add.at(interactions, who, interactions.dtype.type(1))  # no cast: fast path
        costs = np.array([c.cost_per_contact_cents for c in self.channels])
        return int(costs[rng.integers(0, len(costs), k)].sum())

    def collect(self, n_delinquent: int, rng: np.random.Generator) -> int:
        """Today's collection contacts on ``n_delinquent`` loans; returns the cost in cents."""
        if n_delinquent == 0 or self.collection_intensity == 0:
            return 0
        contacts = rng.poisson(n_delinquent * self.collection_intensity
                               / self.effects.collection_period_days)
        return int(contacts) * self.collection_channel.cost_per_contact_cents
