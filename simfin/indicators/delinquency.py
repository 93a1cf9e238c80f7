"""The worst days of a run's delinquency: how a downturn is judged (peak DPD ratios) and
what it leaves in the book (the 30+ DPD balance of the last day).
"""

from __future__ import annotations

import pandas as pd


def delinquency_peaks(steps: pd.DataFrame) -> dict[str, float | int | None]:
    """The worst day of the rows' delinquency, as a downturn is judged by it: the highest
    1+ and 30+ DPD balance over the outstanding balance of a day (the lenders in the rows
    summed; days with nothing outstanding skipped, None when there are none), and the 30+
    DPD balance of the last day (losses still in the book when the rows end).
    """
    if not len(steps):
        return {"dpd1_ratio_peak": None, "dpd30_ratio_peak": None, "dpd30_balance_end": 0}
    day = steps.groupby("day")[["dpd1_balance", "dpd30_balance", "outstanding"]].sum()
    lent = day[day["outstanding"] > 0]
    return {
        "dpd1_ratio_peak": float((lent["dpd1_balance"] / lent["outstanding"]).max())
        if len(lent) else None,
        "dpd30_ratio_peak": float((lent["dpd30_balance"] / lent["outstanding"]).max())
        if len(lent) else None,
        "dpd30_balance_end": int(day["dpd30_balance"].iloc[-1]),
    }
