"""The dashboard's controls: running the model (Reset, Play/Pause, Step, days per step) and
one input per lever (a moved one applied on Reset).

The model never runs past the run's end: a step of several days is cut to the days left
(``run.total_days``), and stepping stops once ``model.running`` is False. Every slider
shows its value at all times, and every button has a word on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import solara

from simfin.config import ConfigError, MarketConfig
from simfin.model import MarketModel

MAX_DAYS_PER_STEP = 100
PLAY_PAUSE_S = 0.05
"""Seconds between two steps while playing (the page redraws in between)."""


def days_left(model: MarketModel) -> int:
    """Days the model still has to run (0 once it has stopped)."""
    return max(model.config.run.total_days - model.day, 0) if model.running else 0


def advance(model: MarketModel, days: int) -> int:
    """Step the model by up to ``days`` days, never past the run's end.

    Args:
        model: The market.
        days: Days asked for (the "days per step" slider).

    Returns:
        The days actually run (fewer than asked at the end of the run, 0 after it).
    """
    done = 0
    for _ in range(min(int(days), days_left(model))):
        model.step()
        done += 1
        if not model.running:
            break
    return done


def rebuild(source: str | MarketConfig | None, levers: dict[str, Any]
            ) -> tuple[MarketModel | None, str | None]:
    """A new market from the config with the levers applied, or the one-line reason why
    not (a bad value is refused as by ``--set``).
    """
    try:
        return MarketModel(source, **levers), None
    except ConfigError as error:
        return None, str(error)


def moved(params: dict[str, Any], levers: dict[str, Any]) -> dict[str, Any]:
    """The levers whose control is off its starting value (the config's): only these are
    applied on Reset, so that a control that cannot show the config's value (no APR cap:
    the slider's top; different disbursement and repayment rails: one select) changes the
    market only when it is moved.
    """
    return {name: value for name, value in levers.items() if value != params[name]["value"]}


@solara.component
def LeverInputs(params: dict[str, Any], levers: solara.Reactive[dict[str, Any]]):  # noqa: N802
    """An input per lever of ``params`` (``model_params`` entries with a ``type``); a moved
    input updates ``levers`` (applied on Reset). Sliders show their value at all times.
    """
    for name, spec in params.items():
        if not isinstance(spec, dict) or "type" not in spec:
            continue

        def set_lever(value: Any, name: str = name) -> None:
            levers.set({**levers.value, name: value})

        value = levers.value.get(name, spec["value"])
        kind = spec["type"]
        if kind in ("SliderInt", "SliderFloat"):
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            slider(spec["label"], value=value, on_value=set_lever, min=spec["min"],
                   max=spec["max"], step=spec["step"], thumb_label="always")
        elif kind == "Select":
            solara.Select(spec["label"], value=value, values=spec["values"],
                          on_value=set_lever)
        elif kind == "Checkbox":
            solara.Checkbox(label=spec["label"], value=value, on_value=set_lever)
        else:
            raise ValueError(f"{name}: unknown control type {kind!r}")


@solara.component
def RunControls(ended: bool, days_per_step: solara.Reactive[int],  # noqa: N802
                playing: solara.Reactive[bool], on_step: Callable[[], None],
                on_reset: Callable[[], None]):
    """Reset, Play/Pause and Step, each with its word, and the days-per-step slider; Play
    and Step are disabled once the run has ``ended``.
    """
    solara.SliderInt("days per step", value=days_per_step, min=1, max=MAX_DAYS_PER_STEP,
                     step=1, thumb_label="always")
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset)
        solara.Button("Pause" if playing.value else "Play", color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=ended)
        solara.Button("Step", color="primary", on_click=on_step,
                      disabled=playing.value or ended)


def play(model: solara.Reactive[MarketModel], days_per_step: solara.Reactive[int],
         playing: solara.Reactive[bool], redraw: Callable[[], None]) -> None:
    """While playing: step, redraw, pause; stops by itself at the run's end."""
    while playing.value and model.value.running:
        advance(model.value, days_per_step.value)
        redraw()
        time.sleep(PLAY_PAUSE_S)
    if playing.value:
        playing.set(False)
