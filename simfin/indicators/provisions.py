"""IFRS 9 figures of a run: profit after provisions, the allowance and its coverage of the
90+ DPD balance, and the stage migration (the engine: :mod:`simfin.lending.provisions`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfin.lending.provisions import MIGRATION_FROM, MIGRATION_TO


def provision_indicators(steps: pd.DataFrame, totals: pd.Series) -> dict[str, float | None]:
    """The IFRS 9 indicators of daily rows (one lender, or all): ``profit_after_provisions``
    (the provision charge as the credit loss instead of write-offs net of recoveries),
    ``net_provision_charge`` (charges - releases), the allowance on the rows' last day
    (``allowance_end``) and its coverage of the 90+ DPD balance that day
    (``provision_coverage``, the provision coverage ratio; None with no 90+ DPD balance).

    Args:
        steps: Rows of ``steps.parquet``.
        totals: The rows' column sums (``steps.sum(numeric_only=True)``).
    """
    last = steps[steps["day"] == steps["day"].max()] if len(steps) else steps
    allowance = int(last["allowance"].sum())
    dpd90 = float(last["dpd90_balance"].sum())
    return {"profit_after_provisions": int(totals["profit_after_provisions"]),
            "net_provision_charge": int(totals["net_provision_charge"]),
            "allowance_end": allowance,
            "provision_coverage": allowance / dpd90 if dpd90 else None}


def stage_migration(matrix: np.ndarray) -> dict[str, dict[str, int]]:
    """A lender's (or the market's) stage migration as ``{from: {to: cents}}``: the balance
    of loans in each stage at the start of each 30-day period (``originated``: principal
    booked in it) by where it was at the period's end (a stage, ``repaid`` or
    ``written_off``), summed over the run's periods (the last one as far as the run went).
    """
    return {origin: {to: int(matrix[i, j]) for j, to in enumerate(MIGRATION_TO)}
            for i, origin in enumerate(MIGRATION_FROM)}
