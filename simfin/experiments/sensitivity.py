"""Sensitivity analysis with SALib: the ``sensitivity:`` section, SALib's designs, indices.

The indices are only valid on the design SALib itself produced (Saltelli's cross-sampled
matrices for Sobol', trajectories for Morris), so a sensitivity experiment takes its points
from here. SALib samples the unit cube; ``sampling.Parameter.value`` maps the coordinates to
the parameters, and the analysis is run on the same unit coordinates.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from simfin.config.base import Section, param


class Sensitivity(Section):
    """``sensitivity:``: which indices of which outcomes."""

    method: Literal["sobol", "morris"] = param(
        "sobol", "sobol: first-order and total indices (SALib's Saltelli design); morris: "
        "elementary effects mu* and sigma (SALib's trajectories).")
    outcomes: list[str] = Field(default_factory=list, description="Outcomes analysed "
                                "(default: the experiment's outcomes).")
    lender: str = param("market", "Whose outcomes: a lender's name or market.")
    num_levels: int = param(4, "Grid levels of the Morris design.", ge=2)
    num_resamples: int = param(200, "Bootstrap resamples of the confidence intervals.",
                               ge=10)
    conf_level: float = param(0.95, "Confidence level of the intervals.", gt=0, lt=1)


def problem(d: int) -> dict:
    """SALib's problem on the unit cube (names are positions; the caller relabels)."""
    return {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}


def salib_sample(method: str, d: int, n: int, seed: int, num_levels: int = 4) -> np.ndarray:
    """SALib's design for ``method`` on the unit cube (rows = points)."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem(d), n, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem(d), n, num_levels=num_levels, seed=seed)


def indices(spec: Sensitivity, unit: np.ndarray, y: np.ndarray, names: list[str],
            seed: int) -> pd.DataFrame:
    """Sensitivity indices of one outcome, one row per parameter.

    Args:
        spec: The sensitivity section.
        unit: The design in unit coordinates, in SALib's order.
        y: The outcome at each point (the mean over replicates).
        names: Parameter names, in column order.
        seed: Seed of SALib's bootstrap (reproducible intervals).

    Returns:
        Columns ``parameter`` and, for sobol, ``S1, S1_conf, ST, ST_conf``; for morris,
        ``mu_star, mu_star_conf, sigma``. ``*_conf`` is the half-width of the interval.
    """
    prob = problem(len(names))
    if spec.method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(prob, y, calc_second_order=False, num_resamples=spec.num_resamples,
                            conf_level=spec.conf_level, seed=seed)
        table = {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    else:
        from SALib.analyze import morris

        res = morris.analyze(prob, unit, y, num_resamples=spec.num_resamples,
                             conf_level=spec.conf_level, num_levels=spec.num_levels,
                             seed=seed)
        table = {k: np.asarray(res[k], dtype=float) for k in ("mu_star", "mu_star_conf",
                                                              "sigma")}
    return pd.DataFrame({"parameter": names, **table})
