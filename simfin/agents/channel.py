"""Channel agents: app stores, social networks, search, partner platforms, offline stores.

A channel brings needs to lenders as applications. It has a reach (its share of the
traffic of its kind), a cost per application, a base conversion rate, a tilt in the risk
of the consumers it attracts, and it may share behavioural data with the lender.
"""

from __future__ import annotations

import mesa
import numpy as np

from simfin.agents.population import Population
from simfin.config import ChannelConfig


class Channel(mesa.Agent):
    """One acquisition channel.

    Args:
        model: The market model.
        config: The channel's parameters.
        index: Position of the channel in the config (its code in the outputs).
    """

    def __init__(self, model: mesa.Model, config: ChannelConfig, index: int) -> None:
        super().__init__(model)
        self.config = config
        self.index = index


def choose_channels(channels: list[Channel], consumers: np.ndarray, online: np.ndarray,
                    population: Population, rng: np.random.Generator) -> np.ndarray:
    """Channel index for each need, or -1 when no channel of its kind (online/offline) exists.

    A consumer's weight for a channel is ``reach * exp(scale * risk_tilt * (reference -
    willingness))`` (``behaviour.channels``), times ``fraud_multiplier`` for fraudsters:
    risky channels draw risky traffic.
    """
    n, k = len(consumers), len(channels)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    weights = np.empty((n, k), dtype=np.float64)
    tilt = population.behaviour.channels
    gap = (tilt.tilt_reference_willingness
           - population.willingness.take(consumers).astype(np.float64))
    fraud = population.is_fraud.take(consumers)
    for j, ch in enumerate(channels):
        c = ch.config
        w = c.reach * np.exp(tilt.risk_tilt_scale * c.risk_tilt * gap)
        w = np.where(fraud, w * c.fraud_multiplier, w)
        # An owned channel (``owner``) reaches its owner's customers, not the market's
        # traffic (:mod:`simfin.agents.owned_channels`): no weight here.
        weights[:, j] = np.where(online == c.online, w, 0.0) if c.owner is None else 0.0
    return weighted_pick(weights, rng).astype(np.int8)


def weighted_pick(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``weights`` (n, k), a column drawn with probability proportional to
    its weight (one uniform per row, inverse CDF), or -1 where every weight is zero.
    """
    n, k = weights.shape
    # Column by column (the options are few): the running sums are a cumsum's, in the same
    # order, and the pick counts the cumulative shares below the draw, without (n, k)
    # temporaries and reductions across short rows. Below 8 columns numpy sums a row one
    # element after the other, so the last running sum is the row's total (its
    # ``sum(axis=1)``, a slow reduction over short rows) bit for bit; from 8 on it sums
    # in pairs, so the total comes from ``sum`` there.
    cums = [weights[:, 0].astype(np.float64)] if k else []
    for j in range(1, k):
        cums.append(cums[-1] + weights[:, j])
    total = cums[-1] if 0 < k < 8 else weights.sum(axis=1)
    share = np.where(total > 0, total, 1.0)
    u = rng.random(n)
    pick = np.zeros(n, dtype=np.intp)
    for cum in cums:
        pick += u > cum / share
    return np.where(total > 0, np.minimum(pick, k - 1), -1)
