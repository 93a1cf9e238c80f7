"""The import graph keeps the house in order: dependencies point one way.

A small AST walk over ``simfin/`` collects every import of a simfin module (at module
level, inside functions and under ``TYPE_CHECKING`` alike: a lazy import is still a
dependency) and checks the contracts of the README's Layout section:

- no cycle between simfin modules;
- ``simfin.lending`` imports nothing from the model, the agents, the indicators, the runner,
  the outputs, the experiments, the bench wing or the CLI;
- ``simfin.model`` imports nothing from the experiments, the outputs, the runner, the bench
  wing or the CLI;
- ``simfin.indicators`` (everything that measures a run) imports nothing from the model, the
  agents, the runner, the outputs, the experiments, the viz, the bench wing or the CLI: it
  reads the lending layer, the config and Mesa only;
- the product imports nothing from the bench wing, except the CLI's ``bench`` command (the
  one door into the wing);
- scikit-learn is imported only by the scoring modules (scoring, the linear folding, the
  imputer, the scaler, the optimised pricing's take-up model, and the measures of a model's
  score), so ``import simfin.config`` does not load it (``tests/test_lazy_imports.py`` checks
  that in a fresh interpreter).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simfin"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> dict[str, set[str]]:
    """Every module ``name`` imports: ``{"simfin": {...}, "external": {...}}``."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # ``from simfin.lending import pricing`` imports the module simfin.lending.pricing
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return {"simfin": {m for m in found if m in MODULES and m != name},
            "external": {m.split(".")[0] for m in found if not m.startswith("simfin")}}


GRAPH = nx.DiGraph()
for _name in MODULES:
    GRAPH.add_node(_name)
    GRAPH.add_edges_from((_name, target) for target in imports_of(_name)["simfin"])


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(source: str, forbidden: tuple[str, ...], allowed: tuple[tuple[str, str], ...]
               = ()) -> list[tuple[str, str]]:
    return sorted((a, b) for a, b in GRAPH.edges
                  if inside(a, source) and any(inside(b, f) for f in forbidden)
                  and (a, b) not in allowed)


def test_the_walk_sees_the_known_edges():
    # the walk itself works: a few edges that must be there
    assert ("simfin.model", "simfin.agents.lender") in GRAPH.edges
    assert ("simfin.lending.assembly", "simfin.lending.registry") in GRAPH.edges
    assert ("simfin.bench.timings", "simfin.model") in GRAPH.edges


def test_no_import_cycle():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import cycles: {cycles[:5]}"


@pytest.mark.parametrize("source, forbidden", [
    ("simfin.lending", ("simfin.model", "simfin.agents", "simfin.indicators", "simfin.runner",
                        "simfin.outputs", "simfin.experiments", "simfin.bench",
                        "simfin.cli")),
    ("simfin.model", ("simfin.experiments", "simfin.outputs", "simfin.runner",
                      "simfin.bench", "simfin.cli")),
    ("simfin.indicators", ("simfin.model", "simfin.levers", "simfin.agents", "simfin.runner",
                           "simfin.outputs", "simfin.experiments", "simfin.viz",
                           "simfin.bench", "simfin.cli")),
    ("simfin.agents", ("simfin.model", "simfin.bench", "simfin.cli", "simfin.runner")),
])
def test_layer_contracts(source, forbidden):
    assert violations(source, forbidden) == []


def test_the_product_never_imports_the_bench_wing():
    product = [m for m in MODULES if not inside(m, "simfin.bench")]
    bad = sorted((a, b) for a, b in GRAPH.edges
                 if a in product and inside(b, "simfin.bench"))
    assert bad == [("simfin.cli", "simfin.bench.suite")]  # the `simfin bench` command


def test_scikit_learn_is_imported_only_by_the_scoring_modules():
    users = sorted(m for m in MODULES if "sklearn" in imports_of(m)["external"])
    # score_performance: scikit-learn's metrics, imported only when a model's score is
    # measured (a model was fitted, so scikit-learn is loaded already). demand_pricing: the
    # optimised pricing policy's take-up model, imported only when it is fitted.
    # governance: the AUC on the answer key, imported only when a fitted model is measured;
    # reject_inference: clones the estimator, only when a model is fitted with inference.
    assert users == ["simfin.indicators.governance", "simfin.indicators.score_performance",
                     "simfin.lending.demand_pricing",
                     "simfin.lending.imputation", "simfin.lending.linear",
                     "simfin.lending.reject_inference", "simfin.lending.scaling",
                     "simfin.lending.scoring"]
