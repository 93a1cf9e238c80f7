"""``lenders.N.funding`` and the regulator's own-share and funding rules: a bad partner is
refused in one line naming the field (``simfin run`` exits 2 and writes nothing); the
rules are recorded only in runs that have them (or partners)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simfin import ConfigError, load_config
from simfin.cli import app
from simfin.config.policy import describe_levers

MARKET = Path(__file__).resolve().parents[1] / "markets" / "co_lending.yaml"
PARTNERS = "lenders.platform.funding.partners"


@pytest.mark.parametrize(("value", "field", "reason"), [
    ("[{lender: platform}]", "lenders: platform.funding.partners.0.lender",
     "cannot fund its own loans"),
    ("[{lender: bnak}]", "lenders: platform.funding.partners.0.lender",
     "no lender named 'bnak' (did you mean 'bank'?)"),
    ("[{lender: bank, share: 0}]", "lenders.0.funding.partners.0.share",
     "must be >= 0.0001"),
    ("[{lender: bank, share: 1.2}]", "lenders.0.funding.partners.0.share", "must be <= 1"),
    ("[{lender: bank, credit_risk: insurer}]",
     "lenders.0.funding.partners.0.credit_risk", "'guarantee', 'partner' or 'pro_rata'"),
    ("[{lender: bank}, {lender: bank, share: 0.2}]", "lenders.0.funding.partners",
     "listed twice"),
    ("[{lender: bank, funding_apr: -0.01}]", "lenders.0.funding.partners.0.funding_apr",
     "must be >= 0"),
    ("[{lender: bank, max_outstanding_cents: -5}]",
     "lenders.0.funding.partners.0.max_outstanding_cents", "must be >= 0"),
])
def test_a_bad_partner_is_refused_in_one_line(value, field, reason):
    with pytest.raises(ConfigError) as caught:
        load_config(MARKET, [f"{PARTNERS}={value}"])
    message = str(caught.value)
    assert message.startswith(f"{field}:") and reason in message, message
    assert "\n" not in message


@pytest.mark.parametrize(("override", "field"), [
    ("policy.min_own_share=1.5", "policy.min_own_share"),
    ("policy.max_funding_multiple=-1", "policy.max_funding_multiple"),
    ("policy.schedule=[{day: 3, min_own_share: -0.1}]", "policy.schedule.0.min_own_share"),
])
def test_a_bad_rule_is_refused_in_one_line(override, field):
    with pytest.raises(ConfigError, match=rf"^{field}: must be"):
        load_config(MARKET, [override])


def test_simfin_run_refuses_self_funding_with_exit_2_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(MARKET), "--out", str(out), "--set",
                                      f"{PARTNERS}=[{{lender: platform, share: 0.5}}]"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: lenders: platform.funding.partners.0.lender: a lender cannot fund its own "
        "loans as a partner ('platform')"]
    assert not out.exists()


def test_the_rules_read_as_levers():
    assert describe_levers({"min_own_share": 0.3, "max_funding_multiple": 5.0}) == (
        "min_own_share=30%, max_funding_multiple=5")
    policy = load_config(MARKET, ["policy.schedule=[{day: 9, max_funding_multiple: 5}]"]).policy
    assert policy.sets("max_funding_multiple") and not policy.sets("min_own_share")
