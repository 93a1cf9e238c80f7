"""The README's worked example of plugging in a scoring model, a pricing policy and a rule
set runs as written, and the plugged-in parts are really used."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def plug_in_example() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if "register_scorer" in b)


def test_readme_commands_come_first():
    lines = [ln for ln in README.read_text(encoding="utf-8").splitlines() if ln.strip()]
    commands = [ln for ln in lines[:12] if ln.startswith("python3 -m venv")]
    assert len(commands) == 2
    assert "simfin run configs/baseline.yaml" in commands[0]
    assert commands[1].endswith("python -m pytest")


def test_plug_in_example_runs_and_uses_the_plugins(monkeypatch, capsys):
    monkeypatch.chdir(README.parent)
    namespace: dict = {}
    exec(compile(plug_in_example(), "README example", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    scored = result.summary["lenders"]["platform"]
    # the custom rule set decided: its reason codes appear, the default ones do not
    assert "REVIEW" in scored["declines_by_reason"]
    assert "DEVICE" not in scored["declines_by_reason"]
    # the custom pricing policy priced every graded loan at 35.9 % (no fee: all-in = APR)
    lender = result.loans[(result.loans["lender"] == 1) & (result.loans["grade"] >= 0)]
    assert len(lender) > 0
    assert (abs(lender["apr"] - 0.359) < 1e-6).all()
    # the custom scorer was trained and used
    assert result.model.lenders[1].model_in_use
    assert "REVIEW" in capsys.readouterr().out
