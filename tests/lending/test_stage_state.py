"""State a stage learns ends in ``_``, and nothing outside a stage writes its attributes.

scikit-learn's convention: ``__init__`` stores parameters; what is learned from data ends in
an underscore. A stage's parameters change only through its own methods (the regulator's
caps through ``PricingStage.set_policy``), never by assignment from outside.

Two checks: markets are run for some days and every attribute of every stage (and of the
lender, and of the objects a stage learns with) that changed must end in ``_``; and an AST
scan of the package, the tests, the notebooks and the docs finds no assignment to a stage
attribute except on ``self``.
"""

from __future__ import annotations

import ast
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

import simfin
from simfin.agents.lender import Lender
from simfin.agents.population import Population
from simfin.lending.assembly import STANDARD_STEPS
from simfin.lending.data_sources import DataSource
from simfin.lending.ledger import Ledger
from simfin.lending.loan_book import LoanBook
from simfin.lending.pipeline import Pipeline, Stage
from simfin.model import MarketModel

ROOT = Path(__file__).resolve().parents[2]
TWO_LENDERS = ROOT / "tests" / "markets" / "two_lenders.yaml"
SMALL = {"population.n_consumers": 3_000, "run.seed": 7}
# The scored lender runs every built-in step, learns early and prices on a take-up model.
EVERY_STEP = {
    "run.steps": 120,
    "population.fraud_share": 0.05,
    "lenders.1.risk.ring_graph.enabled": True,
    "lenders.1.risk.verification": "face",
    "lenders.1.risk.model.min_outcomes": 10,
    "lenders.1.risk.model.min_bad_outcomes": 5,
    "lenders.1.risk.model.validation_share": 0.0,
    "lenders.1.risk.model.performance_window_days": 31,
    "lenders.1.risk.model.retrain_every_days": 7,
    "lenders.1.pricing.strategy": "optimised",
    "lenders.1.pricing.optimised.min_offers": 50,
    "run.default_dpd": 15,
    "run.writeoff_dpd": 30,
}
# Made from a parameter on first use (so that scikit-learn loads only when a model is
# fitted), not learned: the unfitted estimator.
MADE_ON_FIRST_USE = {("ScoringStage", "_estimator")}
# The market's parts a lender holds but does not own: its records, not what it learned.
MARKET_PARTS = (MarketModel, Population, LoanBook, Ledger, DataSource, Lender)


def fingerprint(value: object) -> object:
    """A comparable summary of a value's content (identity for what does not pickle)."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.random.Generator):  # its state moves with every draw
        return ("generator", id(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, fingerprint(v)) for k, v in value.items()))
    if is_simfin_object(value):  # walked on its own
        return ("object", id(value))
    try:
        return ("pickle", pickle.dumps(value))
    except Exception:  # noqa: BLE001 (a lambda, a lock ...: identity is all there is)
        return ("id", id(value))


def is_simfin_object(value: object) -> bool:
    return type(value).__module__.startswith("simfin.") and hasattr(value, "__dict__")


def owned_objects(lender: Lender) -> list[object]:
    """The lender, its stages and every simfin object they hold (not the market's parts)."""
    found: dict[int, object] = {}

    def visit(value: object) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif (is_simfin_object(value) and id(value) not in found
              and (value is lender or not isinstance(value, MARKET_PARTS))):
            found[id(value)] = value
            for item in vars(value).values():
                visit(item)

    visit(lender)
    return list(found.values())


def snapshot(objects: list[object]) -> dict[tuple[int, str], object]:
    return {(id(obj), name): fingerprint(value)
            for obj in objects for name, value in vars(obj).items()}


def changed_attributes(config) -> tuple[set[tuple[str, str]], set[str]]:
    """Run the market; the (class, attribute) pairs whose value changed after
    construction, and the pipeline steps it ran.
    """
    model = MarketModel(config)
    objects = [obj for lender in model.lenders for obj in owned_objects(lender)]
    before = snapshot(objects)
    while model.running:
        model.step()
    after = snapshot(objects)
    owner = {id(obj): type(obj).__name__ for obj in objects}
    changed = {(owner[key[0]], key[1]) for key in after
               if key not in before or before[key] != after[key]}
    steps = {name for lender in model.lenders for p in lender.pipelines for name in p.names}
    return changed, steps


@pytest.fixture(scope="module")
def changes() -> tuple[set[tuple[str, str]], set[str]]:
    baseline, baseline_steps = changed_attributes(
        simfin.load_config(None, {**SMALL, "run.steps": 40}))
    scored, scored_steps = changed_attributes(
        simfin.load_config(TWO_LENDERS, {**SMALL, **EVERY_STEP}))
    return baseline | scored, baseline_steps | scored_steps


def test_every_built_in_step_ran_and_learned(changes):
    changed, steps = changes
    assert set(STANDARD_STEPS) <= steps  # precondition: every registered step was built
    # precondition: the stages and the lender learned (or the check below is empty)
    assert {("ScoringStage", "estimator_"), ("PricingStage", "unit_cost_cents_"),
            ("RingGraphStage", "bad_"), ("TakeUpModel", "price_slope_"),
            ("Lender", "model_since_day_")} <= changed


def test_what_changes_after_construction_ends_in_an_underscore(changes):
    changed, _ = changes
    unmarked = sorted(f"{cls}.{name}" for cls, name in changed - MADE_ON_FIRST_USE
                      if not name.endswith("_"))
    assert not unmarked, f"learned state without a trailing underscore: {unmarked}"


# -- no outside writes ---------------------------------------------------------------------

def stage_classes(trees: dict[Path, ast.Module]) -> list[ast.ClassDef]:
    """The classes of the package that derive from ``Stage`` (by name, transitively)."""
    classes = {node.name: node for tree in trees.values() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)}
    stages = {Stage.__name__}
    grew = True
    while grew:
        grew = False
        for name, node in classes.items():
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                     for b in node.bases}
            if name not in stages and bases & stages:
                stages.add(name)
                grew = True
    return [classes[name] for name in stages if name in classes]


def stage_attributes(trees: dict[Path, ast.Module]) -> set[str]:
    """Every attribute a stage class assigns on ``self``."""
    return {node.attr for cls in stage_classes(trees) for node in ast.walk(cls)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name) and node.value.id == "self"}


CONFIG_NAMES = re.compile(r"^(config|cfg|behaviour|.*_config|.*_cfg)$")


def chain_names(node: ast.expr) -> list[str]:
    """The names along an attribute chain (``a.b[0].c`` -> a, b, c)."""
    names = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, (ast.Subscript, ast.Call)):
            node = node.value if isinstance(node, ast.Subscript) else node.func
        else:
            if isinstance(node, ast.Name):
                names.append(node.id)
            return names[::-1]


def outside_writes(tree: ast.AST, attributes: set[str]) -> list[tuple[int, str]]:
    """Assignments to one of ``attributes`` on anything but ``self`` (a config section is
    not a stage: ``cfg.pricing.flat_apr = ...`` is allowed).
    """
    hits = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        stack = list(targets)
        while stack:
            target = stack.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                stack.extend(target.elts)
                continue
            while isinstance(target, ast.Subscript):
                target = target.value
            if not isinstance(target, ast.Attribute) or target.attr not in attributes:
                continue
            base = target.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if any(CONFIG_NAMES.match(name) for name in chain_names(base)):
                continue
            hits.append((node.lineno, ast.unparse(target)))
    return hits


def python_sources() -> dict[str, str]:
    """The package, the tests, the notebooks' code cells and the docs' python blocks."""
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
               for folder in ("simfin", "tests") for p in (ROOT / folder).rglob("*.py")}
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                text = "".join(cell["source"])
                sources[f"{notebook.relative_to(ROOT)} cell {i}"] = "\n".join(
                    "" if line.lstrip().startswith(("%", "!")) else line
                    for line in text.splitlines())
    for doc in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        for i, block in enumerate(blocks):
            sources[f"{doc.relative_to(ROOT)} block {i}"] = block
    return sources


def test_nothing_outside_a_stage_writes_its_attributes():
    package = {p: ast.parse(p.read_text(encoding="utf-8"))
               for p in (ROOT / "simfin").rglob("*.py")}
    attributes = stage_attributes(package)
    assert {"apr_cap", "max_loan_to_income", "unit_cost_cents_", "min_bad_outcomes",
            "bad_"} <= attributes  # precondition: the stages' attributes were found
    hits = []
    for where, text in python_sources().items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # an illustrative fragment, not code
        hits += [f"{where}:{line}: {target}" for line, target in outside_writes(tree, attributes)]
    assert not hits, "stage attributes written from outside the stage:\n" + "\n".join(hits)


def test_the_scan_finds_an_outside_write():
    tree = ast.parse('lender.pipeline["pricing"].apr_cap = 0.24\n'
                     "stage.min_bad_outcomes, stage.validation_share = 1, 0.0\n"
                     "graph.bad_[3] = True\n"
                     "cfg.pricing.flat_apr = 0.3\n"  # a config section: allowed
                     "self.apr_cap = None\n")  # the stage itself: allowed
    assert [line for line, _ in outside_writes(tree, {"apr_cap", "min_bad_outcomes",
                                                      "validation_share", "bad_",
                                                      "flat_apr"})] == [1, 2, 2, 3]


def test_a_policy_change_reaches_the_pricing_stages_through_set_policy():
    model = MarketModel(simfin.load_config(TWO_LENDERS, {**SMALL, "run.steps": 5}))
    stages = [stage for lender in model.lenders for stage in lender.pricers]
    assert stages and all(s.apr_cap != 0.2 for s in stages)  # precondition
    for lender in model.lenders:
        lender.apply_policy(0.2, 3.0)
    assert all((s.apr_cap, s.max_loan_to_income) == (0.2, 3.0) for s in stages)
    assert isinstance(model.lenders[0].pipeline, Pipeline)
