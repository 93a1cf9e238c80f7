"""The action: the lender's main levers for the next decision interval.

An action is a vector of :data:`LEVERS`, in that order, in their own units and within their
bounds (a ``gymnasium.spaces.Box`` of float64, so that the config's own values, e.g. an
approval threshold of 0.022, are represented exactly). Values outside the bounds are
clipped to them (a Gaussian policy's samples often are); a NaN is an error naming the lever.

The action that repeats the lender's config (:func:`config_action`) changes nothing: the
episode is then the plain run of the config, loan for loan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simfin.agents.lender import Lender
from simfin.config import LenderConfig


@dataclass(frozen=True)
class ActionLever:
    """One component of the action.

    Attributes:
        name: The lever's name (a keyword of :meth:`simfin.agents.lender.Lender.set_levers`).
        low, high: Its bounds.
        unit: Its unit.
        description: What it sets, for the README and the docstrings.
    """

    name: str
    low: float
    high: float
    unit: str
    description: str


LEVERS: tuple[ActionLever, ...] = (
    ActionLever("approval_threshold", 0.0, 1.0, "probability",
                "Highest predicted default probability (30+ days past due within the "
                "model's window) approved, once the lender's model is in use "
                "(risk.approval_threshold); a rules-only lender ignores it."),
    ActionLever("price_markup", -0.2, 0.2, "rate/year",
                "All-in APR added to the price the lender's pricing policy asks (negative: "
                "a discount), lowered to the APR cap where one binds; 0 is the config's "
                "price."),
    ActionLever("limit_multiplier", 0.25, 2.0, "factor",
                "Factor on each product's largest loan and on a new credit line's limit; 1 "
                "is the config's limits."),
)
LEVER_NAMES = tuple(lever.name for lever in LEVERS)
LOW = np.array([lever.low for lever in LEVERS], dtype=np.float64)
HIGH = np.array([lever.high for lever in LEVERS], dtype=np.float64)


def action_space():
    """The action space: a float64 ``Box`` of the levers' bounds."""
    from gymnasium import spaces

    return spaces.Box(LOW.copy(), HIGH.copy(), dtype=np.float64)


def config_action(lender: LenderConfig) -> np.ndarray:
    """The action that keeps the lender's config: its approval threshold, no markup, limits
    as configured (the fixed-config baseline).
    """
    return np.array([lender.risk.approval_threshold, 0.0, 1.0], dtype=np.float64)


def apply_action(lender: Lender, action: np.ndarray) -> dict[str, float]:
    """Set the lender's levers from an action, clipped to the bounds.

    Returns:
        The levers as set, by name.

    Raises:
        ValueError: The action has the wrong shape, or a lever is not a finite number.
    """
    values = np.asarray(action, dtype=np.float64).reshape(-1)
    if values.shape != LOW.shape:
        raise ValueError(f"action: expected {len(LEVERS)} values ({', '.join(LEVER_NAMES)}), "
                         f"got shape {np.shape(action)}")
    for lever, value in zip(LEVERS, values, strict=True):
        if not np.isfinite(value):
            raise ValueError(f"action: {lever.name} must be a finite number, got {value}")
    levers = dict(zip(LEVER_NAMES, np.clip(values, LOW, HIGH).tolist(), strict=True))
    lender.set_levers(**levers)
    return levers


def describe_actions() -> str:
    """A Markdown table of the action's components, for the README."""
    rows = ["| # | lever | bounds | unit | what it sets |", "|---|---|---|---|---|"]
    for i, lever in enumerate(LEVERS):
        rows.append(f"| {i} | `{lever.name}` | [{lever.low:g}, {lever.high:g}] | "
                    f"{lever.unit} | {lever.description} |")
    return "\n".join(rows)
