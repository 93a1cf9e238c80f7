"""configs/README.md documents every field: the tables there are generated from the code."""

from pathlib import Path

from simfin.config.reference import field_reference, rule_field_table

README = Path(__file__).resolve().parents[2] / "configs" / "README.md"


def test_every_config_field_is_documented():
    text = README.read_text(encoding="utf-8")
    assert field_reference() in text, "regenerate with: simfin config-doc"


def test_every_rule_field_is_documented():
    assert rule_field_table() in README.read_text(encoding="utf-8")


def test_every_field_has_a_description():
    for line in field_reference().splitlines()[2:]:
        description = line.rsplit("|", 2)[-2].strip()
        assert description, line


def test_the_reference_shows_the_defaults_that_apply_in_sections():
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in field_reference().splitlines()[2:]}
    assert rows["`payments.bank_transfer.latency_minutes`"] == "240.0"
    assert rows["`payments.mobile_wallet.latency_minutes`"] == "1.0"
    assert rows["`data.bureau.cost_cents`"] == "200"
