"""Files of an experiment: the long results table, the comparison report and figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from simfin.experiments.design import ExperimentConfig
from simfin.experiments.runner import compare, comparison_markdown
from simfin.outputs.writer import staged


def plot_outcome(results: pd.DataFrame, outcome: str, ax=None):
    """Bars of one outcome: lenders side by side, one group per scenario, ±1 sd over seeds."""
    ax = ax or plt.gca()
    table = compare(results, [outcome])
    scenarios = list(dict.fromkeys(table["scenario"]))
    lenders = list(dict.fromkeys(table["lender"]))
    width = 0.8 / len(lenders)
    x = np.arange(len(scenarios))
    for i, lender in enumerate(lenders):
        rows = table[table["lender"] == lender].set_index("scenario").loc[scenarios]
        ax.bar(x + i * width, rows[f"{outcome}_mean"], width, yerr=rows[f"{outcome}_std"],
               label=lender, capsize=3)
    ax.set_xticks(x + width * (len(lenders) - 1) / 2, scenarios)
    ax.set(title=f"{outcome} (mean ± sd over seeds)", ylabel=outcome)
    ax.legend(fontsize=8)
    return ax


def write_experiment(results: pd.DataFrame, experiment: ExperimentConfig, out: Path,
                     force: bool = False) -> Path:
    """Write ``results.parquet``, ``comparison.md``, ``experiment.yaml`` and figures."""
    with staged(out, force) as staging:
        results.to_parquet(staging / "results.parquet", index=False)
        (staging / "experiment.yaml").write_text(
            yaml.safe_dump(experiment.model_dump(mode="json"), sort_keys=False),
            encoding="utf-8")
        (staging / "figures").mkdir()
        figures = []
        for outcome in experiment.outcomes:
            fig = Figure(figsize=(8, 4.5))
            plot_outcome(results, outcome, fig.add_subplot())
            fig.tight_layout()
            fig.savefig(staging / "figures" / f"{outcome}.png", dpi=100)
            figures.append(f"figures/{outcome}.png")
        lines = [f"# simfin experiment: {experiment.name}", "",
                 f"Config `{experiment.config}`, seeds {experiment.seeds}; money in cents.", "",
                 comparison_markdown(results, experiment.outcomes), "## Figures", ""]
        lines += [f"![{f}]({f})\n" for f in figures]
        (staging / "comparison.md").write_text("\n".join(lines), encoding="utf-8")
    return out
