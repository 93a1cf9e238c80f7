"""One default market: without a config, simfin builds ``configs/baseline.yaml``'s market,
from the repository and from an installed package alike.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import simfin
from simfin.config.baseline import baseline_path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"


def names(items) -> list[str]:
    return [item.name for item in items]


def test_the_packaged_baseline_is_configs_baseline_yaml():
    # one file: the package's copy is a link to it, so the two cannot differ
    packaged = Path(simfin.__file__).parent / "config" / "baseline.yaml"
    assert packaged.is_symlink()
    assert packaged.resolve() == BASELINE.resolve()
    assert baseline_path().read_bytes() == BASELINE.read_bytes()
    # and a wheel carries it (setuptools copies the file a link points to)
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "baseline.yaml" in setuptools["package-data"]["simfin.config"]


def test_market_model_without_a_config_is_the_baseline():
    baseline = simfin.load_config(BASELINE)
    assert names(baseline.lenders) == ["bank", "platform", "cash"]  # precondition
    model = simfin.MarketModel()
    assert model.config == baseline
    assert [lender.config.name for lender in model.lenders] == ["bank", "platform", "cash"]
    assert model.population.n == baseline.population.n_consumers == 30_000
    assert len(model.scenarios) == len(baseline.scenarios) == 7
    assert len(model.channels) == len(baseline.channels) == 6


def test_run_without_a_config_is_the_baseline():
    result = simfin.run(steps=2)
    assert result.config == simfin.load_config(BASELINE, {"run.steps": 2})
    assert sorted(result.summary["lenders"]) == ["bank", "cash", "platform"]
    assert result.model.population.n == 30_000


def test_a_config_that_leaves_out_the_lists_takes_the_baselines():
    cfg = simfin.load_config({"population": {"n_consumers": 500}})
    baseline = simfin.load_config(None)
    assert names(cfg.lenders) == names(baseline.lenders)
    assert cfg.scenarios == baseline.scenarios and cfg.channels == baseline.channels
    assert cfg.population.n_consumers == 500


def test_other_lenders_keep_the_baselines_market_channels_without_the_banks_app():
    """Lenders of one's own with the baseline's channels (left out, or a baseline file whose
    lenders an override replaced): the bank's app goes with the bank; a channel list of
    one's own is checked as written."""
    baseline = simfin.load_config(BASELINE)
    assert [c.owner for c in baseline.channels][-1] == "bank"  # precondition: the bank's app
    market = [c for c in baseline.channels if c.owner is None]
    two = [{"name": "a"}, {"name": "b"}]
    assert simfin.load_config({"lenders": two}).channels == market
    assert simfin.load_config(BASELINE, {"lenders": two}).channels == market
    with_bank = simfin.load_config(BASELINE, {"lenders": [{"name": "bank"}]})
    assert with_bank.channels == baseline.channels
    try:
        simfin.load_config(BASELINE, {"lenders": two, "channels": [
            c.model_dump() for c in baseline.channels[-2:]]})
    except simfin.ConfigError as exc:
        assert str(exc).startswith("channels.1.owner: no lender named 'bank'")
    else:
        raise AssertionError("an owned channel of a lender not in the market was accepted")


def test_the_dashboard_without_a_config_is_the_baseline(monkeypatch):
    import ipyvuetify as v
    import solara

    from simfin.viz import page

    monkeypatch.setenv(page.CONFIG_ENV, "")  # what `simfin dashboard` sets without CONFIG
    _, rc = solara.render(solara.AppLayout(children=[page.Page()]), handle_error=False)
    try:
        status = rc.find(v.Html, class_="simfin-status").widget.children[0]
        assert "30,000 consumers" in status
        for name in ("bank", "platform", "cash"):
            assert rc.find(v.Slider, label=f"{name}: approval threshold").widgets
    finally:
        rc.close()
