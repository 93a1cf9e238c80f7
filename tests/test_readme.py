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


def layout_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Layout"):]
    return re.search(r"```\n(.*?)```", section, flags=re.S).group(1)


def test_the_layout_names_every_module_of_the_package():
    layout = layout_block()
    package = README.parent / "simfin"
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", layout))
    modules = [p for p in package.rglob("*") if p.suffix in (".py", ".yaml")
               and p.stem not in ("__init__", "__main__") and "__pycache__" not in p.parts]
    assert len(modules) > 50  # precondition: the package was found
    missing = sorted(str(p.relative_to(package)) for p in modules if p.stem not in words)
    assert not missing, f"README's layout does not name: {missing}"
    packages = sorted(p.name for p in package.iterdir() if (p / "__init__.py").exists())
    assert all(f"{name}/" in layout for name in packages), packages
