"""The rule engine: a safe condition grammar evaluated over columns, and rule actions."""

from __future__ import annotations

import numpy as np
import pytest

from simfin.lending.batch import APPROVED, DECLINED, NO_REASON, PENDING, REFERRED, ApplicationBatch
from simfin.lending.pipeline import DecisionContext, Pipeline
from simfin.lending.rules import Rule, RuleEngine, RuleSyntaxError, compile_condition

CTX = DecisionContext(day=0, rng=np.random.default_rng(0))

NAN = np.nan


def evaluate(text: str, **columns) -> list[bool]:
    cols = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
    n = len(next(iter(cols.values())))
    return compile_condition(text).evaluate(cols, n).tolist()


# -- the grammar ---------------------------------------------------------------------------

def test_comparisons():
    age = [17, 18, 19]
    assert evaluate("age_years < 18", age_years=age) == [True, False, False]
    assert evaluate("age_years <= 18", age_years=age) == [True, True, False]
    assert evaluate("age_years > 18", age_years=age) == [False, False, True]
    assert evaluate("age_years >= 18", age_years=age) == [False, True, True]
    assert evaluate("age_years == 18", age_years=age) == [False, True, False]
    assert evaluate("age_years != 18", age_years=age) == [True, False, True]


def test_and_or_not():
    cols = {"age_years": [20, 20, 40, 40], "bureau_delinquencies": [0, 5, 0, 5]}
    assert evaluate("age_years < 30 and bureau_delinquencies > 2", **cols) == [
        False, True, False, False]
    assert evaluate("age_years < 30 or bureau_delinquencies > 2", **cols) == [
        True, True, False, True]
    assert evaluate("not age_years < 30", **cols) == [False, False, True, True]
    assert evaluate("not (age_years < 30 or bureau_delinquencies > 2)", **cols) == [
        False, False, True, False]
    # and binds tighter than or
    assert evaluate("age_years > 30 or age_years < 30 and bureau_delinquencies > 2",
                    **cols) == [False, True, True, True]


def test_three_way_and_or():
    cols = {"age_years": [20, 20, 20], "online": [1, 1, 0], "employed": [0, 1, 0]}
    assert evaluate("age_years < 25 and online == 1 and employed == 0", **cols) == [
        True, False, False]
    assert evaluate("age_years > 25 or online == 0 or employed == 1", **cols) == [
        False, True, True]


def test_arithmetic():
    cols = {"amount_cents": [100, 500, 900], "stated_income_cents": [100, 100, 300]}
    assert evaluate("amount_cents / stated_income_cents > 3", **cols) == [False, True, False]
    assert evaluate("amount_cents - 2 * stated_income_cents >= 300", **cols) == [
        False, True, True]
    assert evaluate("(amount_cents + 100) * 2 == 400", **cols) == [True, False, False]
    assert evaluate("(amount_cents + 100) * 2 == 1200", **cols) == [False, True, False]
    assert evaluate("-amount_cents < -400", **cols) == [False, True, True]
    assert evaluate("amount_cents > 1e2 and amount_cents < 8.5e2", **cols) == [
        False, True, False]


def test_division_by_zero_does_not_raise():
    assert evaluate("amount_cents / stated_income_cents > 3", amount_cents=[1.0, 0.0],
                    stated_income_cents=[0.0, 0.0]) == [True, False]


def test_chained_comparisons():
    age = [17, 18, 24, 25, 30]
    assert evaluate("18 <= age_years < 25", age_years=age) == [False, True, True, False, False]
    assert evaluate("17 < age_years <= 25 < 26", age_years=age) == [
        False, True, True, True, False]
    # a chain is a conjunction, not a comparison of a boolean with a number
    assert evaluate("30 > age_years > 20", age_years=age) == [False, False, True, True, False]


def test_constant_conditions_broadcast():
    assert evaluate("1 < 2", age_years=[1, 2, 3]) == [True, True, True]
    assert evaluate("2 < 1", age_years=[1, 2, 3]) == [False, False, False]


@pytest.mark.parametrize("text", [
    "bureau_delinquencies >= 3", "bureau_delinquencies < 3", "bureau_delinquencies == 0",
    "bureau_delinquencies > -1", "0 <= bureau_delinquencies <= 100",
    "bureau_delinquencies * 2 > 1", "bureau_delinquencies >= 3 or bureau_delinquencies < 3",
])
def test_comparisons_with_missing_data_are_false(text: str):
    assert evaluate(text, bureau_delinquencies=[NAN, NAN]) == [False, False]


def test_not_equal_with_missing_data_is_false():
    assert evaluate("id_match != 1", id_match=[NAN, 1.0, 0.0]) == [False, False, True]


def test_missing_data_mixed_with_known_rows():
    assert evaluate("bureau_delinquencies >= 3 and age_years < 30",
                    bureau_delinquencies=[NAN, 5, 5], age_years=[20, 20, 40]) == [
        False, True, False]


def test_compile_records_the_fields_read():
    cond = compile_condition("age_years < 25 and bureau_multi_lending >= 4 or 1 > 2")
    assert cond.fields == frozenset({"age_years", "bureau_multi_lending"})


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hi')",       # call + string + attribute
    "len(age_years) > 0",                       # call
    "age_years.real > 0",                       # attribute
    "age_years[0] > 18",                        # subscript
    "(lambda: 1)() == 1",                       # lambda
    "age_years > '18'",                         # string constant
    "age_years > b'18'",                        # bytes constant
    "age_years == True",                        # booleans are not numbers here
    "age_years == None",                        # None
    "age_years ** 2 > 400",                     # power is not in the grammar
    "age_years % 2 == 0",                       # modulo is not in the grammar
    "[age_years][0] > 1",                       # list
    "(n := 3) > 1",                             # assignment expression
    "age_years if online else 0",               # conditional expression
    "age_years in (1, 2)",                      # membership, tuple
    "age_years is 18",                          # identity
    "[x for x in age_years]",                   # comprehension
    "credit_score > 600",                       # unknown field
    "os > 1",                                   # unknown name
    "age_years >",                              # does not parse
    "",                                         # empty
    "age_years < 18; import os",                # statements
])
def test_forbidden_constructs_raise_rule_syntax_error(text: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleSyntaxError):
        compile_condition(text)


def test_rule_syntax_error_names_the_problem():
    with pytest.raises(RuleSyntaxError, match="unknown field 'credit_score'"):
        compile_condition("credit_score > 600")
    with pytest.raises(RuleSyntaxError, match="Call is not allowed"):
        compile_condition("abs(age_years) > 1")


def test_custom_field_set():
    cond = compile_condition("score > 0.5", fields=frozenset({"score"}))
    assert cond.evaluate({"score": np.array([0.2, 0.9])}, 2).tolist() == [False, True]
    with pytest.raises(RuleSyntaxError):
        compile_condition("age_years > 1", fields=frozenset({"score"}))


# -- the engine ----------------------------------------------------------------------------

def make_batch(**columns) -> ApplicationBatch:
    return ApplicationBatch({k: np.asarray(v, dtype=np.float64) for k, v in columns.items()})


def make_engine(*specs, review_cost_cents: int = 0):
    """specs: (name, when, action, reason); returns the engine and its reason codes."""
    rules = [Rule(name, compile_condition(when), action, reason)
             for name, when, action, reason in specs]
    codes: list[str] = []
    for r in rules:
        if r.reason not in codes:
            codes.append(r.reason)
    return RuleEngine(rules, codes, review_cost_cents), codes


def test_first_rejecting_rule_reason_is_recorded():
    engine, codes = make_engine(("young", "age_years < 18", "reject", "AGE"),
                                ("bad_bureau", "bureau_delinquencies >= 3", "reject", "DLQ"))
    batch = make_batch(age_years=[16, 16, 30, 30], bureau_delinquencies=[5, 0, 5, 0])
    engine.run(batch, CTX)
    assert batch["decision"].tolist() == [DECLINED, DECLINED, DECLINED, PENDING]
    reasons = [codes[r] if r >= 0 else None for r in batch["reason"]]
    assert reasons == ["AGE", "AGE", "DLQ", None]


def test_rule_order_decides_the_reason():
    engine, codes = make_engine(("bad_bureau", "bureau_delinquencies >= 3", "reject", "DLQ"),
                                ("young", "age_years < 18", "reject", "AGE"))
    batch = make_batch(age_years=[16], bureau_delinquencies=[5])
    engine.run(batch, CTX)
    assert codes[batch["reason"][0]] == "DLQ"


def test_flag_sets_its_bit_but_does_not_decline():
    engine, codes = make_engine(("big", "amount_cents > 1000", "flag", "BIG"),
                                ("young", "age_years < 18", "reject", "AGE"),
                                ("online", "online == 1", "flag", "ONL"))
    batch = make_batch(amount_cents=[5000, 5000, 10, 10], age_years=[30, 16, 30, 30],
                       online=[1, 1, 0, 1])
    engine.run(batch, CTX)
    assert batch["decision"].tolist() == [PENDING, DECLINED, PENDING, PENDING]
    # bit 0: rule 0 (big), bit 2: rule 2 (online); a declined row is not flagged later
    assert batch["flags"].tolist() == [0b101, 0b001, 0b000, 0b100]
    assert batch["reason"][0] == NO_REASON and batch["reason"][3] == NO_REASON
    assert codes[batch["reason"][1]] == "AGE"


def test_refer_marks_referred_and_charges_review():
    engine, codes = make_engine(("check", "amount_cents > 1000", "refer", "REVIEW"),
                                ("young", "age_years < 18", "reject", "AGE"),
                                review_cost_cents=2_000)
    batch = make_batch(amount_cents=[5000, 5000, 10, 10], age_years=[30, 16, 16, 30])
    engine.run(batch, CTX)
    assert batch["decision"].tolist() == [REFERRED, REFERRED, DECLINED, PENDING]
    assert [codes[r] if r >= 0 else None for r in batch["reason"]] == [
        "REVIEW", "REVIEW", "AGE", None]
    assert batch.costs_cents == {"review_cost": 4_000}


def test_rules_skip_rows_already_decided():
    engine, codes = make_engine(("young", "age_years < 18", "reject", "AGE"))
    batch = make_batch(age_years=[16, 16])
    batch["decision"][0] = APPROVED
    engine.run(batch, CTX)
    assert batch["decision"].tolist() == [APPROVED, DECLINED]
    assert batch["reason"][0] == NO_REASON


def test_missing_data_does_not_trigger_a_reject_rule():
    engine, _ = make_engine(("bad_bureau", "bureau_delinquencies >= 3", "reject", "DLQ"))
    batch = make_batch(bureau_delinquencies=[NAN, 4, 1])
    engine.run(batch, CTX)
    assert batch["decision"].tolist() == [PENDING, DECLINED, PENDING]


def test_pipeline_approves_what_survives_the_rules():
    engine, _ = make_engine(("young", "age_years < 18", "reject", "AGE"))
    batch = make_batch(age_years=[16, 40, 50])
    Pipeline([("rules", engine)]).run(batch, DecisionContext(day=0, rng=np.random.default_rng(0)))
    assert batch["decision"].tolist() == [DECLINED, APPROVED, APPROVED]
