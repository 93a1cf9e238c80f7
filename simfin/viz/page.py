"""The dashboard page: solara components on the MarketModel (a Mesa 3 model and its
DataCollector), with lever controls and live per-lender plots.

The controls (:mod:`simfin.viz.controls`) are levers of :mod:`simfin.levers` (the market
file stays fixed): a moved control takes effect when the market is reset, and every
rebuild goes through the same validation as ``--set``. Mesa's ``SolaraViz`` is not used:
its controller steps past the run's end when it renders several days per step, and its
buttons and sliders cannot be given words and visible values.
"""

from __future__ import annotations

import os
from typing import Any, get_args

import solara

from simfin.config import MarketConfig, load_config
from simfin.config.base import Section
from simfin.config.lenders import RiskConfig
from simfin.config.macro import SCENARIOS
from simfin.config.operations import LenderPaymentConfig, ServiceConfig
from simfin.lending.registry import SCORERS
from simfin.model import MarketModel
from simfin.outputs.figure_style import downturn_spans
from simfin.viz.controls import LeverInputs, RunControls, advance, moved, play, rebuild
from simfin.viz.plots import PANELS, panel_figure

CONFIG_ENV = "SIMFIN_DASHBOARD_CONFIG"
"""Environment variable through which ``simfin dashboard`` passes the config path."""

DATA_SOURCES = ["none", "bureau", "bureau+id_registry", "bureau+id_registry+social_security",
                "bureau+id_registry+consortium",
                "bureau+id_registry+social_security+consortium"]
MAX_APR_CAP = 1.0
# Room above each slider for its value (shown at all times); the checkbox's label shown once,
# beside the box (the Vue 3 page build of the offline solara assets also writes it inside
# the box's 40-pixel wrapper, where it is clipped); the controls stay in view while the
# plots scroll.
LAYOUT_CSS = """
.simfin-controls { position: sticky; top: 0; max-height: 100vh; overflow-y: auto; }
.simfin-controls > * { flex-shrink: 0; }
.simfin-controls .v-slider { margin-top: 28px; }
.simfin-controls .v-selection-control__wrapper { font-size: 0; }
.simfin-controls .v-selection-control__input .v-icon { font-size: 24px; }
.simfin-title { font-size: 1.25rem; font-weight: 500; padding: 8px 16px 0; }
"""


def _choices(section: type[Section], field: str) -> list[str]:
    """The values the config schema allows for a ``Literal`` field, in its order."""
    return list(get_args(section.model_fields[field].annotation))


def macro_choices(config: MarketConfig) -> list[str]:
    """The paths ``macro.scenario`` may name (the schema's list), without ``custom`` when
    the config writes no custom path (it would be the steady market under another name).
    """
    return [name for name in SCENARIOS
            if name != "custom" or not config.macro.custom.is_empty()]


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
    risk_models = ["none", *SCORERS.names()]  # registered ones too (register_scorer)
    verifications = _choices(RiskConfig, "verification")
    rails = _choices(LenderPaymentConfig, "repayment_rail")
    service_modes = _choices(ServiceConfig, "mode")
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
        "macro_scenario": _select("macroeconomic path", config.macro.scenario,
                                  macro_choices(config)),
    }
    for lender in config.lenders:
        name = lender.name
        params[f"approval_threshold__{name}"] = {
            "type": "SliderFloat", "label": f"{name}: approval threshold",
            "value": lender.risk.approval_threshold, "min": 0.0, "max": 1.0, "step": 0.01}
        params[f"risk_model__{name}"] = _select(f"{name}: risk model",
                                                lender.risk.model.kind, risk_models)
        params[f"data_sources__{name}"] = _select(
            f"{name}: data sources", "+".join(lender.risk.data_sources) or "none",
            DATA_SOURCES)
        params[f"verification__{name}"] = _select(f"{name}: verification",
                                                  lender.risk.verification, verifications)
        params[f"payment_rail__{name}"] = _select(f"{name}: payment rail",
                                                  lender.payment.repayment_rail, rails)
        params[f"service_mode__{name}"] = _select(f"{name}: service model",
                                                  lender.service.mode, service_modes)
    return params


def status(model: MarketModel) -> str:
    """One line on the market shown: its day, the APR cap in force today (``policy.schedule``
    may have changed it) and the levers it was built with.
    """
    cap = model.regulator.apr_cap
    ended = "" if model.running else " (end of the run)"
    return (f"day {model.day} of {model.config.run.total_days}{ended} | "
            f"{model.population.n:,} consumers"
            f" | {len(model.config.lenders)} lenders | APR cap "
            f"{'none' if cap is None else f'{cap:.2f}'} | macro path "
            f"{model.config.macro.scenario} | seed {model.config.run.seed}")


def downturns_of(model: MarketModel) -> list[tuple[int, int]]:
    """The macroeconomic path's downturn days so far (none in a steady economy), as the
    run figures shade them (:func:`simfin.outputs.figure_style.downturn_spans`).
    """
    if model.economy.steady:
        return []
    return downturn_spans(model.recorder.steps_frame())


@solara.component
def Plots(model: MarketModel, version: int):  # noqa: N802 (a component)
    """The live per-lender plots of the current model, two to a row, each over the whole
    run (its x axis does not change as the days go by). ``version`` changes on every step
    and reset: it is what makes the plots redraw.
    """
    frame = model.datacollector.get_model_vars_dataframe()
    names = [lender.name for lender in model.config.lenders]
    downturns = downturns_of(model)
    solara.Text(status(model), classes=["simfin-status"])
    with solara.GridFixed(columns=2):
        for key in PANELS:
            solara.FigureMatplotlib(
                panel_figure(key, frame, names, days=model.config.run.total_days,
                             downturns=downturns),
                format="png", dpi=72)


@solara.component
def Dashboard(source: str | MarketConfig | None = None):  # noqa: N802 (a component)
    """The dashboard for a market config (path, config or None for the default): the
    controls on the left, the plots on the right.
    """
    config = solara.use_memo(
        lambda: source if isinstance(source, MarketConfig) else load_config(source), [])
    params = solara.use_memo(lambda: model_params(config, source), [])
    levers = solara.use_reactive(
        {k: p["value"] for k, p in params.items() if isinstance(p, dict)})
    first = solara.use_memo(lambda: MarketModel(config), [])
    model = solara.use_reactive(first)
    version = solara.use_reactive(0)
    days_per_step = solara.use_reactive(1)
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)

    def redraw() -> None:
        version.set(version.value + 1)

    def step() -> None:
        advance(model.value, days_per_step.value)
        redraw()

    def reset() -> None:
        playing.set(False)
        built, why = rebuild(params["config"], moved(params, levers.value))
        error.set(why)
        if built is not None:
            model.set(built)
        redraw()

    solara.use_thread(lambda: play(model, days_per_step, playing, redraw),
                      dependencies=[playing.value])
    solara.Style(LAYOUT_CSS)
    with solara.Columns([1, 3], style={"margin": "0"}):
        with solara.Column(classes=["simfin-controls"]):
            solara.Text(f"simfin: {config.run.name}", classes=["simfin-title"])
            with solara.Card("Run"):
                RunControls(not model.value.running, days_per_step, playing, step, reset)
                if error.value:
                    solara.Error(error.value)
            with solara.Card("Levers (take effect on Reset)"):
                LeverInputs(params, levers)
        with solara.Column():
            Plots(model.value, version.value)


@solara.component
def Page():  # noqa: N802 (solara looks for a component named Page)
    """The page ``solara run simfin.viz.page`` serves: the market of $SIMFIN_DASHBOARD_CONFIG."""
    Dashboard(os.environ.get(CONFIG_ENV) or None)
