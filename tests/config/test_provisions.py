"""The provisions: section: defaults, the scenario levels of the overlay, one-line errors."""

from __future__ import annotations

import pytest

from simfin.config import ConfigError, load_config
from simfin.config.provisions import path_job_loss
from simfin.config.reference import field_reference


def test_the_overlay_scenarios_are_the_shipped_paths_means_over_a_year():
    levels = load_config(None).provisions.scenario_job_loss()
    assert levels["steady"] == 1.0  # no points: neutral
    # adverse, days 0-359: 1 + d/30 over the first month, 2 until day 180, then down to 1
    # at day 360 (daily values, as the economy interpolates them)
    first = sum(1 + d / 30 for d in range(30))
    last = sum(2 - (d - 180) / 180 for d in range(180, 360))
    assert levels["adverse"] == pytest.approx((first + 150 * 2 + last) / 360)
    assert 1.0 < levels["adverse"] < levels["severe"] < 4.0
    assert path_job_loss("covid_2020") > 1.0


@pytest.mark.parametrize(("provisions", "field", "reason"), [
    ({"scenario_weights": {"steady": 0.5, "adverse": 0.2}}, "provisions.scenario_weights",
     "sum to 1"),
    ({"scenario_weights": {"sever": 1.0}}, "provisions.scenario_weights",
     "did you mean 'severe'"),
    ({"scenario_weights": {}}, "provisions.scenario_weights", "at least one"),
    ({"stage2_dpd": 90}, "provisions.stage2_dpd", "89"),
    ({"prior_roll_rates": [0.5, 0.4, 0.6]}, "provisions.prior_roll_rates", "4"),
    ({"prior_roll_rates": [0.9, 0.4, 0.6, 0.7], "prior_closure_rate": 0.2}, "provisions",
     "at most 1"),
    ({"credit_conversion_factor": 1.5}, "provisions.credit_conversion_factor", "1"),
])
def test_a_bad_provisions_field_is_refused_in_one_line(provisions, field, reason):
    with pytest.raises(ConfigError) as err:
        load_config({"provisions": provisions})
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{field}"), message
    assert reason in message, message


def test_config_doc_lists_the_provisions_section():
    reference = field_reference()
    for name in ("stage2_dpd", "prior_roll_rates", "credit_conversion_factor",
                 "pd_sensitivity", "scenario_weights"):
        assert f"`provisions.{name}`" in reference, name
