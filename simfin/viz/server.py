"""Serving the dashboard page with solara's server (uvicorn), offline and local."""

from __future__ import annotations

import os
from pathlib import Path

from simfin.viz.page import CONFIG_ENV

PAGE_MODULE = "simfin.viz.page"


def serve(config: Path | None, host: str, port: int, open_browser: bool) -> None:
    """Run solara's server on the dashboard page until interrupted.

    Solara's telemetry and its version check would reach the network: both are switched off
    (simfin does nothing over the network at run time). The config path reaches the page
    through the environment, which the server's page module reads per session.
    """
    os.environ[CONFIG_ENV] = str(config.resolve()) if config is not None else ""
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    from solara.__main__ import cli

    args = ["run", PAGE_MODULE, "--host", host, "--port", str(port), "--production",
            "--no-check-version", "--open" if open_browser else "--no-open",
            "--log-level", "warning"]
    cli.main(args=args, prog_name="simfin dashboard", standalone_mode=False)
