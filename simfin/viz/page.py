"""The dashboard page: Mesa's SolaraViz on the MarketModel, with lever controls and live
per-lender plots.

SolaraViz rebuilds the model from its parameters on Reset: the controls are levers of
:mod:`simfin.levers` (the market file stays fixed), so a moved slider takes effect when
the market is reset, and every rebuild goes through the same validation as ``--set``.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from simfin.config import MarketConfig, load_config
from simfin.model import MarketModel
from simfin.viz.plots import PANELS, panel_figure

CONFIG_ENV = "SIMFIN_DASHBOARD_CONFIG"
"""Environment variable through which ``simfin dashboard`` passes the config path."""

RISK_MODELS = ["none", "logistic", "gbm"]
VERIFICATIONS = ["none", "face", "voice", "iris"]
DATA_SOURCES = ["none", "bureau", "bureau+id_registry", "bureau+id_registry+social_security",
                "bureau+id_registry+consortium",
                "bureau+id_registry+social_security+consortium"]
RAILS = ["mobile_wallet", "bank_transfer"]
SERVICE_MODES = ["siloed", "unified"]
MAX_APR_CAP = 1.0
# The Vue 3 page build of the offline solara assets does not offset the main area by the
# sidebar (the controls) and the app bar: the plots would sit under the controls.
LAYOUT_CSS = """
.v-main.solara-content-main { padding-left: 400px !important; padding-top: 64px !important; }
"""


def _select(label: str, value: str, values: list[str]) -> dict[str, Any]:
    return {"type": "Select", "label": label, "value": value,
            "values": values if value in values else [value, *values]}


def model_params(config: MarketConfig, source: str | MarketConfig | None = None
                 ) -> dict[str, Any]:
    """SolaraViz ``model_params``: a control per main lever, starting at the config's value.

    Args:
        config: The market (loaded), whose values the controls start from.
        source: What the model is rebuilt from on Reset (a path keeps the page light);
            defaults to ``config``.
    """
    cap = config.policy.apr_cap
    params: dict[str, Any] = {
        "config": config if source is None else source,
        "n_consumers": {"type": "SliderInt", "label": "consumers",
                        "value": config.population.n_consumers, "min": 1_000,
                        "max": max(200_000, config.population.n_consumers), "step": 1_000},
        "seed": {"type": "SliderInt", "label": "seed", "value": config.run.seed, "min": 0,
                 "max": max(999, config.run.seed), "step": 1},
        "apr_cap": {"type": "SliderFloat", "label": "APR cap",
                    "value": MAX_APR_CAP if cap is None else cap, "min": 0.1,
                    "max": max(MAX_APR_CAP, cap or 0.0), "step": 0.01},
        "consortium": {"type": "Checkbox", "label": "consortium",
                       "value": config.policy.consortium},
    }
    for lender in config.lenders:
        name = lender.name
        params[f"approval_threshold__{name}"] = {
            "type": "SliderFloat", "label": f"{name}: approval threshold",
            "value": lender.risk.approval_threshold, "min": 0.0, "max": 1.0, "step": 0.01}
        params[f"risk_model__{name}"] = _select(f"{name}: risk model",
                                                lender.risk.model.kind, RISK_MODELS)
        params[f"data_sources__{name}"] = _select(
            f"{name}: data sources", "+".join(lender.risk.data_sources) or "none",
            DATA_SOURCES)
        params[f"verification__{name}"] = _select(f"{name}: verification",
                                                  lender.risk.verification, VERIFICATIONS)
        params[f"payment_rail__{name}"] = _select(f"{name}: payment rail",
                                                  lender.payment.repayment_rail, RAILS)
        params[f"service_mode__{name}"] = _select(f"{name}: service model",
                                                  lender.service.mode, SERVICE_MODES)
    return params


def status(model: MarketModel) -> str:
    """One line on the market shown: its day and the market levers it was built with."""
    cap = model.config.policy.apr_cap
    return (f"day {model.day} of {model.config.run.total_days} | {model.population.n:,} consumers"
            f" | {len(model.config.lenders)} lenders | APR cap "
            f"{'none' if cap is None else f'{cap:.2f}'} | seed {model.config.run.seed}")


@solara.component
def Plots(model: MarketModel):  # noqa: N802 (a component)
    """The live per-lender plots of the current model, two to a row.

    Laid out here rather than in SolaraViz's draggable grid, whose script does not load in
    the page's Vue 3 build with the offline assets.
    """
    update_counter.get()  # redrawn whenever SolaraViz steps or resets the model
    frame = model.datacollector.get_model_vars_dataframe()
    names = [lender.name for lender in model.config.lenders]
    solara.Text(status(model), classes=["simfin-status"])
    with solara.GridFixed(columns=2):
        for key in PANELS:
            solara.FigureMatplotlib(panel_figure(key, frame, names), format="png", dpi=72)


def dashboard(source: str | MarketConfig | None = None) -> None:
    """Render the dashboard for a market config (path, config or None for the default):
    SolaraViz's controls in the sidebar, the plots in the main area. Call inside a component.
    """
    config = source if isinstance(source, MarketConfig) else load_config(source)
    first = solara.use_memo(lambda: MarketModel(config), [])
    model = solara.use_reactive(first)
    solara.Style(LAYOUT_CSS)
    SolaraViz(model, components=[], model_params=model_params(config, source),
              name=f"simfin: {config.run.name}", play_interval=50)
    Plots(model.value)


@solara.component
def Page():  # noqa: N802 (solara looks for a component named Page)
    """The page ``solara run simfin.viz.page`` serves: the market of $SIMFIN_DASHBOARD_CONFIG."""
    dashboard(os.environ.get(CONFIG_ENV) or None)
