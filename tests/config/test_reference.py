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
