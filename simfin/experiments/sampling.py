"""The ``design:`` section of an experiment file and the points it yields.

A design varies parameters (dotted config paths, ``behaviour.*`` constants included: they are
ordinary paths) over ranges, levels or distributions. Every method first draws points in the
unit cube and then maps each coordinate through the parameter's quantile function, so one
mapping serves factorial, random, Latin hypercube (``scipy.stats.qmc.LatinHypercube``), Sobol'
(``scipy.stats.qmc.Sobol``) and SALib's samplers. SALib's indices are computed on the unit
coordinates, which the quantile map turns into the parameters: the model is then
``f(ppf(u))``, whose Sobol' indices are those of ``f`` on independent inputs, so they stay
valid for any distribution.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy import stats
from scipy.stats import qmc

from simfin.config.base import Section, param
from simfin.experiments.sensitivity import Sensitivity, salib_sample

DesignMethod = Literal["factorial", "random", "lhs", "sobol", "morris"]


class Parameter(Section):
    """One varied parameter: a range (``low``/``high``), a normal law, or listed levels."""

    low: float | None = param(None, "Lower end of the range (uniform or loguniform).")
    high: float | None = param(None, "Upper end of the range.")
    distribution: Literal["uniform", "loguniform", "normal"] = param(
        "uniform", "Law of the parameter over the design: uniform or loguniform on "
        "[low, high], or normal with mean and sd.")
    mean: float | None = param(None, "Mean (normal only).")
    sd: float | None = param(None, "Standard deviation (normal only).", gt=0)
    levels: list[Any] | None = param(None, "Explicit values (numbers, strings or booleans); "
                                     "the parameter is then categorical.", min_length=1)
    integer: bool = param(False, "Round to the nearest integer (count fields).")

    @model_validator(mode="after")
    def _one_law(self) -> Parameter:
        if self.levels is not None:
            return self
        if self.distribution == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal parameter needs mean and sd")
            return self
        if self.low is None or self.high is None:
            raise ValueError("needs low and high, or levels")
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got {self.low} and {self.high}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform parameter needs low > 0")
        return self

    def value(self, u: float) -> Any:
        """The parameter's value at unit coordinate ``u`` in [0, 1)."""
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        if self.distribution == "normal":
            x = float(stats.norm.ppf(np.clip(u, 1e-12, 1 - 1e-12), self.mean, self.sd))
        elif self.distribution == "loguniform":
            x = float(np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low))))
        else:
            x = float(self.low + u * (self.high - self.low))
        return int(round(x)) if self.integer else x

    def extremes(self) -> list[Any]:
        """Values that bound what the design can give (checked against the config schema)."""
        if self.levels is not None:
            return list(self.levels)
        return [self.value(0.0), self.value(1 - 1e-12)] if self.distribution != "normal" \
            else [self.value(0.001), self.value(0.999)]


class Design(Section):
    """``design:``: how the parameters are sampled."""

    method: DesignMethod = param("lhs", "factorial (every combination of levels), random, "
                                 "lhs (Latin hypercube), sobol (scrambled Sobol' points; "
                                 "with sensitivity: SALib's Saltelli design), morris "
                                 "(SALib's trajectories; needs sensitivity: morris).")
    samples: int = param(16, "Points (random, lhs; a power of two for sobol), base "
                         "sample N for SALib's Sobol' design (N x (d + 2) points), or "
                         "trajectories for morris (N x (d + 1) points).", ge=1, le=100_000)
    levels: int = param(3, "Evenly spaced levels per ranged parameter (factorial).", ge=2,
                        le=50)
    seed: int | None = param(None, "Seed of the sampler (default: derived from the "
                             "experiment's root seed).", ge=0)
    parameters: dict[str, Parameter] = Field(
        min_length=1, description="Dotted config path -> its range, law or levels.")

    @model_validator(mode="after")
    def _sobol_power_of_two(self) -> Design:
        n = self.samples
        if self.method == "sobol" and n & (n - 1):
            raise ValueError(f"samples: a sobol design needs a power of two, got {n}")
        return self


def unit_points(design: Design, seed: int, sensitivity: Sensitivity | None = None
                ) -> np.ndarray:
    """Points of the design in the unit cube, one row per point, one column per parameter.

    Args:
        design: The design section.
        seed: Seed of the sampler (all methods are reproducible from it).
        sensitivity: The sensitivity section when the analysis needs SALib's own design.
    """
    names = list(design.parameters)
    d = len(names)
    if sensitivity is not None:
        return salib_sample(sensitivity.method, d, design.samples, seed,
                            sensitivity.num_levels)
    rng = np.random.default_rng(seed)
    if design.method == "factorial":
        grids = []
        for spec in design.parameters.values():
            k = len(spec.levels) if spec.levels is not None else design.levels
            # Midpoints of k equal cells for levels; both ends of the range for ranges.
            grids.append((np.arange(k) + 0.5) / k if spec.levels is not None
                         else np.linspace(0.0, 1 - 1e-12, k))
        return np.array(list(itertools.product(*grids)), dtype=float).reshape(-1, d)
    if design.method == "random":
        return rng.random((design.samples, d))
    if design.method == "lhs":
        return qmc.LatinHypercube(d, seed=rng).random(design.samples)
    if design.method == "sobol":
        m = int(np.log2(design.samples))
        return qmc.Sobol(d, scramble=True, seed=rng).random_base2(m)
    raise ValueError(f"design.method: {design.method} needs sensitivity: {design.method}")


def design_points(design: Design, unit: np.ndarray) -> pd.DataFrame:
    """The design's parameter values: one row per point, one column per dotted path."""
    columns = {path: [spec.value(float(u)) for u in unit[:, j]]
               for j, (path, spec) in enumerate(design.parameters.items())}
    return pd.DataFrame(columns)
