"""A lender's own channel: its app (or its branches) reaching its existing customers.

A channel with an ``owner`` (``channels.N.owner``) is not bought traffic. Its audience is
the owner's existing customers, ``customer_share`` of the population, drawn once when the
market is built and tilted as a bank's deposit and salary customers are: a consumer's
weight is ``(income / income_median) ** customer_income_elasticity``, times the channel's
``risk_tilt`` factor (as for a market channel, :func:`~simfin.agents.channel.choose_channels`)
and its ``fraud_multiplier`` for fraudsters; exactly ``round(customer_share * n)`` consumers
are drawn without replacement in proportion to these weights (Efraimidis-Spirakis keys:
the largest ``log(weight) + Gumbel`` noise).

Each day a need of a customer goes to the owner's channel first with probability
``first_look_share`` (the app is where the customer looks first) when the channel carries
its kind (online/offline), the owner sells its product, lends that amount, is open and has
not declined the need already; it then reaches the owner alone. The other needs go
through the market's channels and shop around as before. An owner with ``knows_income``
reads its customers' income from their accounts (:meth:`OwnedChannels.income_known`).

Every draw here comes from a stream of its own, spawned from the model's when the market
has an owned channel, so that a market without one draws exactly what it drew before, and
adding one leaves the population and the market channels' draws as they were.
"""

from __future__ import annotations

import numpy as np

from simfin.agents.population import Population
from simfin.config import MarketConfig


class OwnedChannels:
    """The market's owned channels and their owners' customers.

    Args:
        config: The market config (its channels with an ``owner``).
        population: The consumers.
        rng: The owned channels' own stream (customer draws at build, routing each day).

    Attributes:
        channels: Config index of each owned channel.
        owners: Lender index of each owned channel's owner.
        customers: Per owned channel, whether each consumer (by population row) is a
            customer of its owner.
    """

    def __init__(self, config: MarketConfig, population: Population,
                 rng: np.random.Generator) -> None:
        lenders = [lender.name for lender in config.lenders]
        owned = [(i, c) for i, c in enumerate(config.channels) if c.owner is not None]
        self.rng = rng
        self.channels = np.array([i for i, _ in owned], dtype=np.int8)
        self.owners = np.array([lenders.index(c.owner) for _, c in owned], dtype=np.int16)
        self.online = np.array([c.online for _, c in owned], dtype=bool)
        self.first_look = np.array([c.first_look_share for _, c in owned])
        self.customers = [draw_customers(population, c.customer_share,
                                         c.customer_income_elasticity, c.risk_tilt,
                                         c.fraud_multiplier, rng) for _, c in owned]
        # Per lender that reads its customers' income (a channel of its says so), whom.
        self._income_read: dict[int, np.ndarray] = {}
        for (_, channel), owner, customers in zip(owned, self.owners, self.customers,
                                                  strict=True):
            if channel.knows_income:
                known = self._income_read.get(int(owner))
                self._income_read[int(owner)] = (customers if known is None
                                                 else known | customers)

    def route(self, consumers: np.ndarray, online: np.ndarray, products: np.ndarray,
              amounts: np.ndarray, tried: np.ndarray, sells: np.ndarray,
              min_amounts: np.ndarray, free: np.ndarray) -> np.ndarray:
        """For each need, the owned channel (its config index) it goes through, or -1.

        Args:
            consumers: The consumer of each need.
            online: Whether each need arose online.
            products: Product kind of each need.
            amounts: The amount each need asks for, in cents.
            tried: (n, n_lenders) lenders each need has already applied to.
            sells: (n_lenders, n_products) whether each lender sells (and, today, lends)
                each product kind.
            min_amounts: (n_lenders, n_products) each lender's smallest loan, in cents.
            free: Needs an owned channel may take (not a draw on an open credit line,
                which goes to the line's lender).

        Returns:
            int8 channel codes; a need taken by several owners' channels goes through the
            first in config order.
        """
        out = np.full(len(consumers), -1, dtype=np.int8)
        for j, owner in enumerate(self.owners):
            rows = np.flatnonzero(free & (out < 0) & (online == self.online[j])
                                  & self.customers[j].take(consumers))
            if len(rows) == 0:
                continue
            kind = products.take(rows)
            rows = rows[sells[owner].take(kind) & ~tried[rows, owner]
                        & (amounts.take(rows) >= min_amounts[owner].take(kind))]
            looks = self.rng.random(len(rows)) < self.first_look[j]
            out[rows[looks]] = self.channels[j]
        return out

    def redirect(self, needs: dict[str, np.ndarray], consumers: np.ndarray,
                 channel: np.ndarray, need: np.ndarray, lender: np.ndarray,
                 sells: np.ndarray, min_amounts: np.ndarray, free: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The day's routing with the needs that go through an owned channel taken out of
        the market: such a need's channel becomes the owned one and its (need, lender)
        pairs become one, to the owner (appended after the others).

        Args:
            needs: The day's needs (``online``, ``product``, ``amount_cents``, ``tried``).
            consumers: The consumer of each need.
            channel: The market channel of each need.
            need: The need of each (need, lender) pair of the market's routing.
            lender: The lender of each pair.
            sells: As for :meth:`route`.
            min_amounts: As for :meth:`route`.
            free: As for :meth:`route`.

        Returns:
            ``(channel, need, lender)`` with the owned channels' needs redirected.
        """
        own = self.route(consumers, needs["online"], needs["product"], needs["amount_cents"],
                         needs["tried"], sells, min_amounts, free)
        taken = own >= 0
        if not taken.any():
            return channel, need, lender
        rows = np.flatnonzero(taken)
        keep = ~taken[need]
        return (np.where(taken, own, channel).astype(channel.dtype),
                np.concatenate([need[keep], rows]),
                np.concatenate([lender[keep], self.owner_of(own[rows]).astype(lender.dtype)]))

    def owner_of(self, channels: np.ndarray) -> np.ndarray:
        """The owner (lender index) of each owned channel code in ``channels``."""
        lookup = np.full(int(self.channels.max()) + 1, -1, dtype=np.int16)
        lookup[self.channels] = self.owners
        return lookup.take(channels)

    def income_known(self, consumers: np.ndarray, lender: int) -> np.ndarray | None:
        """Whether ``lender`` reads each consumer's income from its own accounts (its
        customers, when one of its channels ``knows_income``); None when it knows nobody's.
        """
        known = self._income_read.get(lender)
        return None if known is None else known.take(consumers)


def draw_customers(population: Population, share: float, income_elasticity: float,
                   risk_tilt: float, fraud_multiplier: float, rng: np.random.Generator
                   ) -> np.ndarray:
    """Which consumers are a lender's existing customers: ``round(share * n)`` of them,
    drawn without replacement in proportion to their weights (see the module docstring).

    Consumers of zero weight (fraudsters with ``fraud_multiplier`` 0) are never drawn, even
    if fewer remain than the share asks for.
    """
    pop, n = population, population.n
    tilt = pop.behaviour.channels
    # The keys log(weight) + Gumbel noise, built in place: a few arrays of n floats at most.
    keys = rng.gumbel(size=n)
    if income_elasticity:
        term = np.maximum(pop.base_income_cents, 1) / pop.config.income_median_cents
        np.log(term, out=term)
        term *= income_elasticity
        keys += term
        del term
    if risk_tilt:
        term = pop.willingness.astype(np.float64)
        np.subtract(tilt.tilt_reference_willingness, term, out=term)
        term *= tilt.risk_tilt_scale * risk_tilt
        keys += term
        del term
    with np.errstate(divide="ignore"):
        keys[pop.is_fraud] += np.log(fraud_multiplier)
    k = min(int(round(share * n)), int(np.isfinite(keys).sum()))
    chosen = np.zeros(n, dtype=bool)
    if k > 0:
        chosen[np.argpartition(keys, n - k)[n - k:]] = True
    return chosen
