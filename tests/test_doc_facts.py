"""Figures the docs state about the shipped configs and experiments come from those files.

Each fact is a phrase of a document with the stated value(s) captured and the value(s) the
config or experiment file gives; prose is matched with its line breaks collapsed. A fact
whose phrase was reworded fails too (it matches nothing): reword the pattern with the text,
so that no stated figure goes unchecked. Numbers may be written ``30,000``; counts may be
words (``three``); a value stated in percent is compared with the fraction times 100.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import cache, reduce
from pathlib import Path

import pytest
import yaml

import simfin
from simfin.config.operations import InfrastructureConfig

ROOT = Path(__file__).resolve().parents[1]
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10}


@cache
def config(name: str) -> simfin.MarketConfig:
    return simfin.load_config(ROOT / "configs" / f"{name}.yaml")


@cache
def experiment(name: str) -> dict:
    return yaml.safe_load((ROOT / "experiments" / f"{name}.yaml").read_text(encoding="utf-8"))


def in_experiment(name: str, *paths: str) -> tuple:
    """The experiment's values at ``paths``, levels joined by ``/`` (an override's key holds
    dots): ``steps``, ``design/samples``, ``overrides/population.n_consumers``.
    """
    return tuple(reduce(operator.getitem, path.split("/"), experiment(name)) for path in paths)


def with_yuan(*cents: int) -> tuple:
    """Amounts in cents, then the same in whole yuan (RMB)."""
    return (*cents, *(c // 100 for c in cents))


def lender(name: str, market: str = "baseline"):
    return next(item for item in config(market).lenders if item.name == name)


def pct(fraction: float) -> float:
    return round(fraction * 100, 6)


def sobol_facts() -> tuple:
    """The Sobol' experiment's size and parameter ranges, in the order the text gives them."""
    ranges = experiment("sobol_profit")["design"]["parameters"]
    n_consumers, steps, n = in_experiment("sobol_profit", "overrides/population.n_consumers",
                                          "steps", "design/samples")
    k = len(ranges)

    def bounds(name: str, scale: float = 1) -> tuple:
        return (round(ranges[name]["low"] * scale, 6), round(ranges[name]["high"] * scale, 6))

    return (n, k, n * (k + 2), n_consumers, steps,
            *bounds("policy.apr_cap", 100), *bounds("lenders.1.risk.approval_threshold"),
            *bounds("lenders.1.cost_of_funds_rate", 100), *bounds("population.fraud_share", 100),
            *bounds("behaviour.choice.price_sensitivity"))


SMALL_EXPERIMENTS = ["c1_scenarios", "c2_products", "c3_channels", "c4_risk_control",
                     "c5_payment", "c6_service", "c7_infrastructure", "apr_cap", "consortium"]

# (document, pattern: one group per stated value, the values the files give)
FACTS: list[tuple[str, str, Callable[[], tuple]]] = [
    ("README.md", r"writes runs/(\w+)-seed(\d+)-",
     lambda: (config("baseline").run.name, config("baseline").run.seed)),
    ("README.md", r"number; ([\d.]+) % in the default market \(`population\.fraud_share`\)",
     lambda: (pct(config("baseline").population.fraud_share),)),
    ("README.md", r"roll to default \((\d+) DPD\) and write-off \((\d+) DPD\)",
     lambda: (config("baseline").run.default_dpd, config("baseline").run.writeoff_dpd)),
    ("configs/README.md", r"\| `baseline\.yaml` \| the default market: ([\d,]+) consumers, "
     r"(\d+) days, (\w+) scenarios, (\w+) channels and (\w+) lenders:",
     lambda: (config("baseline").population.n_consumers, config("baseline").run.steps,
              len(config("baseline").scenarios), len(config("baseline").channels),
              len(config("baseline").lenders))),
    ("configs/README.md", r"lenders: `(\w+)` \(strict bureau rules, no model, a flat (\d+) % "
     r"price; its own app, `(\w+)`, reaches its customers beside the (\w+) market channels, "
     r"and it funds (\d+) % of each platform loan at (\d+) %, bearing its part of the loss\), "
     r"`(\w+)` \(rules, data, a logistic model approving up to PD ([\d.]+), risk-based "
     r"prices; it funds (\d+) % of each loan itself\) and `(\w+)` \(few rules, no bureau, a "
     r"flat (\d+) % price\), under a (\d+) % APR cap",
     lambda: ("bank", pct(lender("bank").pricing.flat_apr),
              *[c.name for c in config("baseline").channels if c.owner == "bank"],
              sum(c.owner is None for c in config("baseline").channels),
              pct(lender("platform").funding.partners[0].share),
              pct(lender("platform").funding.partners[0].funding_apr), "platform",
              lender("platform").risk.approval_threshold,
              pct(1 - lender("platform").funding.partners[0].share), "cash",
              pct(lender("cash").pricing.flat_apr), pct(config("baseline").policy.apr_cap))),
    ("README.md", r"The \*\*bank\*\* lends at a flat (\d+) % to applicants from the market's "
     r"channels and, through its own app, to its existing customers \(a quarter of the "
     r"consumers, reached at RMB (\d+) an application\); it funds (\d+) % of each of the "
     r"\*\*platform\*\*'s loans at its own (\d+) % price and bears (\d+) % of their losses, "
     r"while the platform decides, services, keeps the interest above (\d+) % as its service "
     r"fee and funds the (\d+) %",
     lambda: (pct(lender("bank").pricing.flat_apr),
              *[c.cost_per_application_cents // 100 for c in config("baseline").channels
                if c.owner == "bank"],
              pct(lender("platform").funding.partners[0].share),
              pct(lender("platform").funding.partners[0].funding_apr),
              pct(lender("platform").funding.partners[0].share),
              pct(lender("platform").funding.partners[0].funding_apr),
              pct(1 - lender("platform").funding.partners[0].share))),
    ("experiments/README.md", r"Default sizes are set for a 2-core machine: ([\d,]+) "
     r"consumers, one year, (\d+) replicates",
     lambda: (*{experiment(e)["overrides"]["population.n_consumers"]
                for e in SMALL_EXPERIMENTS},
              *{experiment(e)["replicates"] for e in SMALL_EXPERIMENTS})),
    ("experiments/README.md", r"the Sobol' analysis at ([\d,]+) consumers, (\d+) days, "
     r"N = (\d+)",
     lambda: in_experiment("sobol_profit", "overrides/population.n_consumers", "steps",
                           "design/samples")),
    ("experiments/README.md", r"`lenders\.N\.infrastructure\.fixed_cost_per_day_cents`: "
     r"([\d,]+) cents, RMB (\d+), a day where a config leaves it at its default",
     lambda: with_yuan(InfrastructureConfig().fixed_cost_per_day_cents)),
    ("experiments/README.md", r"as the characteristic configs do; ([\d,]+) cents, RMB (\d+), "
     r"a day in `configs/baseline\.yaml`",
     lambda: with_yuan(*{lc.infrastructure.fixed_cost_per_day_cents
                         for lc in config("baseline").lenders})),
    ("experiments/README.md", r"\((\d+) a day for ([\d,]+) consumers, (\d+) for ([\d,]+) in "
     r"the config\)",
     lambda: (*in_experiment("c7_infrastructure",
                            "overrides/lenders.0.infrastructure.capacity_per_day",
                            "overrides/population.n_consumers"),
              config("c7_infrastructure").lenders[0].infrastructure.capacity_per_day,
              config("c7_infrastructure").population.n_consumers)),
    ("experiments/README.md", r"the default market \(`configs/baseline\.yaml`\) for two years "
     r"\((\d+) days\) at ([\d,]+) consumers",
     lambda: in_experiment("lender_strategies", "steps", "overrides/population.n_consumers")),
    ("experiments/README.md", r"its logistic model \(approval threshold PD ([\d.]+)\), "
     r"flat (\d+) %",
     lambda: (lender("platform").risk.approval_threshold,
              pct(lender("platform").pricing.flat_apr))),
    ("experiments/README.md", r"lowered to the (\d+) % cap",
     lambda: (pct(config("baseline").policy.apr_cap),)),
    ("experiments/README.md", r"six seeds \((\d+)-(\d+), common random numbers\)",
     lambda: (min(experiment("lender_strategies")["seeds"]),
              max(experiment("lender_strategies")["seeds"]))),
    ("experiments/README.md", r"gives the mobile-first lender's products the long form "
     r"\((\d+) steps, (\d+) minutes\)",
     lambda: (*{v for k, v in experiment("c2_products")["scenarios"]["long_form_everywhere"]
                .items() if k.endswith("friction_steps")},
              *{v for k, v in experiment("c2_products")["scenarios"]["long_form_everywhere"]
                .items() if k.endswith("friction_minutes")})),
    ("experiments/README.md", r"`no_social` switches the (\w+) channel off "
     r"\(`channels\.1\.reach: (\d+)`\)",
     lambda: (config("c3_channels").channels[1].name,
              *in_experiment("c3_channels", "scenarios/no_social/channels.1.reach"))),
    ("experiments/README.md", r"`no_model` takes the trained model from the (\w+) model "
     r"lenders, `face_for_all` gives face recognition to the (\w+) lenders without it",
     lambda: (sum(lc.risk.model.kind != "none" for lc in config("c4_risk_control").lenders),
              sum(lc.risk.verification == "none"
                  for lc in config("c4_risk_control").lenders))),
    ("experiments/README.md", r"N = (\d+) base points, (\d+) parameters: N x \(\d+ \+ 2\) = "
     r"(\d+) runs of ([\d,]+) consumers for (\d+) days, one run per point\) over the APR cap "
     r"\((\d+)-(\d+) %\), the platform lender's approval threshold \(PD ([\d.]+)-([\d.]+)\) "
     r"and cost of funds \((\d+)-(\d+) %\), the fraud share of the population \((\d+)-(\d+) "
     r"%\), .*?\(`behaviour\.choice\.price_sensitivity`, (\d+)-(\d+) per unit of APR\)",
     lambda: sobol_facts()),
    ("experiments/README.md", r"plus `run\.runoff_days: (\d+)`: after the (\d+) days of "
     r"lending the model runs on for (\d+) days",
     lambda: in_experiment("lender_strategies_lifetime", "overrides/run.runoff_days", "steps",
                           "overrides/run.runoff_days")),
    ("experiments/README.md", r"the same market and seeds, (\d+) days of lending, then "
     r"(\d+) days of run-off",
     lambda: in_experiment("lender_strategies_first_year_lifetime", "steps",
                           "overrides/run.runoff_days")),
    ("experiments/README.md", r"a delinquent borrower's daily cure rate halves every (\d+) "
     r"days past due",
     lambda: (config("baseline").behaviour.repayment.cure_half_life_days,)),
    ("experiments/README.md", r"on the default market at ([\d,]+) consumers for (\d+) days, "
     r"the path starting on day (\d+)",
     lambda: in_experiment("stress_test", "overrides/population.n_consumers", "steps",
                           "overrides/macro.start_day")),
    ("experiments/README.md", r"with (\w+) seeds common to all (\d+) scenarios",
     lambda: (len(experiment("stress_test")["seeds"]),
              len(experiment("stress_test")["scenarios"]))),
    ("experiments/README.md", r"over the (\d+) days from the path's start",
     lambda: (experiment("stress_test")["steps"]
              - experiment("stress_test")["overrides"]["macro.start_day"],)),
    ("experiments/README.md", r"<!-- illustrative: (\d+) runs of two years, about five minutes",
     lambda: (len(experiment("stress_test")["seeds"])
              * len(experiment("stress_test")["scenarios"]),)),
    ("experiments/README.md", r"an APR cap of (\d+) % instead of (\d+) %\*\* on the default "
     r"market",
     lambda: tuple(map(pct, in_experiment("apr_cap", "scenarios/cap_24/policy.apr_cap",
                                          "scenarios/cap_36/policy.apr_cap")))),
]


def stated(text: str) -> float | str:
    word = text.lower()
    if word in WORDS:
        return WORDS[word]
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def given(value) -> float | str:
    return value if isinstance(value, str) else float(value)


@pytest.mark.parametrize(("document", "pattern", "expected"), FACTS,
                         ids=[f"{doc}:{pattern[:40]}" for doc, pattern, _ in FACTS])
def test_a_stated_figure_is_the_files(document: str, pattern: str, expected):
    text = " ".join((ROOT / document).read_text(encoding="utf-8").split())
    matches = list(re.finditer(pattern, text))
    assert matches, f"{document}: no phrase matches {pattern!r} (reworded? update the fact)"
    want = tuple(given(v) for v in expected())
    for match in matches:
        assert tuple(stated(g) for g in match.groups()) == want, (document, match.group(0))
