"""Small experiment files: a tiny market (runs of about a second) and SALib's Ishigami."""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIMFIN = [sys.executable, "-m", "simfin.cli"]
BASELINE = ROOT / "configs" / "baseline.yaml"

TINY = f"""
name: tiny
config: {BASELINE}
overrides: {{population.n_consumers: 1500, run.default_dpd: 15, run.writeoff_dpd: 30}}
steps: 60
replicates: 2
scenarios:
  cap_36: {{policy.apr_cap: 0.36}}
  cap_24: {{policy.apr_cap: 0.24}}
outcomes: [approval_rate, default_rate, profit]
"""

PI = math.pi
ISHIGAMI = f"""
name: ishigami
model: ishigami
outcomes: [y]
replicates: 1
design:
  method: sobol
  samples: {{samples}}
  seed: 11
  parameters:
    x1: {{{{low: {-PI}, high: {PI}}}}}
    x2: {{{{low: {-PI}, high: {PI}}}}}
    x3: {{{{low: {-PI}, high: {PI}}}}}
sensitivity: {{{{method: sobol, num_resamples: 100}}}}
"""


def write(tmp_path: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path
