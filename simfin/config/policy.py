"""The regulator's levers and the run's own settings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_serializer, model_validator

from simfin.config.base import PROBABILITY, Section, name_param, param

POLICY_LEVERS = ("apr_cap", "consortium", "max_loan_to_income", "min_capital_ratio",
                 "min_own_share", "max_funding_multiple")
"""The policy fields a schedule entry may change (the levers of :class:`PolicyConfig`)."""
OWN_SHARE_TEXT = ("Minimum share of a co-funded loan's principal that its originating "
                  "lender funds itself (lenders.N.funding.partners): a partner's share is "
                  "clipped to 1 - this on each booking day. The 2020 draft rules for online "
                  "micro-lending (CBIRC and PBoC, November 2020) set 30 %.")
FUNDING_CAP_TEXT = ("Cap on a lender's borrowed funding (the loans on its own books beyond "
                    "its equity) as a multiple of its net worth (equity), checked at the "
                    "start of each lending day on the books of the day before: a lender "
                    "over it makes no new loan and funds no partner's until it is back "
                    "under. Our reading of the 2020 draft rules for online micro-lending: "
                    "bank and shareholder loans at most 1x net worth plus bonds and ABS at "
                    "most 4x, so 5 in all.")
UNCHANGED = "(unchanged)"
"""What ``simfin config-doc`` shows as the default of a schedule entry's lever: a field an
entry does not name keeps the value in force."""


def _none_word(value: Any) -> Any:
    """``none`` (any case) reads as null, "no cap": YAML gives the bare word as a string."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return None
    return value


OptionalCap = Annotated[float | None, BeforeValidator(_none_word)]
"""A cap that may be absent: a number, or null / ``none`` for no cap."""


def _named(description: str, unit: str = "", **constraints: Any) -> Any:
    """A lever of a schedule entry: absent means "unchanged" (shown as such by
    ``simfin config-doc``); its ``None`` default is never a value the entry applies.
    """
    extra = {"unit": unit} if unit else {}
    return Field(None, description=description,
                 json_schema_extra={**extra, "default_text": UNCHANGED}, **constraints)


def describe_levers(levers: dict[str, Any]) -> str:
    """Policy fields and values as users read them: ``apr_cap=24%, consortium=on``
    (``none`` for a cap that is lifted or absent), in the order given.
    """
    parts = []
    for name, value in levers.items():
        if value is None:
            text = "none"
        elif isinstance(value, bool):
            text = "on" if value else "off"
        elif name in ("apr_cap", "min_own_share"):
            text = f"{value * 100:.4g}%"
        else:
            text = f"{value:.4g}"
        parts.append(f"{name}={text}")
    return ", ".join(parts)


class PolicyChange(Section):
    """One entry of the regulator's calendar: on ``day`` the fields it names take the values
    it gives, and every field it does not name keeps the value in force.

    ``{day: 100, consortium: true}`` opens the consortium and keeps the APR cap;
    ``{day: 100, apr_cap: null}`` (or ``apr_cap: none``) lifts the cap. Which fields an entry
    names is part of the entry (pydantic's ``model_fields_set``), and the entry is written
    back (``model_dump``, the run's ``config.yaml``) with ``day`` and only those fields, so
    a dump and re-validation, on any path, gives the same entry.
    """

    day: int = param(0, "Day the change takes effect (before that day's applications).",
                     "day", ge=0)
    apr_cap: OptionalCap = _named("New cap on the all-in APR; null (or none) lifts the cap. "
                                  "Left out: the cap in force stays.", "rate/year",
                                  ge=0.0, le=10.0)
    consortium: bool | None = _named("Data-sharing mandate: true makes the consortium exist "
                                     "and every lender share its loans with it; false closes "
                                     "it. Left out: as it is.")
    max_loan_to_income: OptionalCap = _named("New cap on principal / yearly stated income; "
                                             "null (or none) lifts the cap. Left out: the cap "
                                             "in force stays.", "ratio", gt=0.0, le=100.0)
    min_capital_ratio: OptionalCap = _named("New minimum capital ratio (equity / risk-"
                                            "weighted outstanding loans); null (or none) "
                                            "lifts it. Left out: the minimum in force "
                                            "stays.", "ratio", ge=0.0, le=10.0)
    min_own_share: OptionalCap = _named(f"{OWN_SHARE_TEXT} null (or none) lifts it. Left "
                                        "out: the minimum in force stays.", "share",
                                        ge=0.0, le=1.0)
    max_funding_multiple: OptionalCap = _named(f"{FUNDING_CAP_TEXT} null (or none) lifts "
                                               "it. Left out: the cap in force stays.",
                                               "ratio", ge=0.0, le=100.0)

    @field_validator("consortium", mode="before")
    @classmethod
    def _consortium_is_a_switch(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must be true or false (leave it out to keep the consortium as "
                             "it is)")
        return value

    @model_validator(mode="after")
    def _names_a_change(self) -> PolicyChange:
        if not self.changes():
            raise ValueError("names no field to change (name one or more of "
                             f"{', '.join(POLICY_LEVERS)})")
        return self

    @model_serializer(mode="wrap")
    def _named_fields_only(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        return {k: v for k, v in data.items() if k == "day" or k in self.model_fields_set}

    def names(self, lever: str) -> bool:
        """Whether this entry changes ``lever``."""
        return lever in self.model_fields_set

    def changes(self) -> dict[str, Any]:
        """The fields this entry names, with their new values (``day`` aside), in the order
        of :data:`POLICY_LEVERS`.
        """
        return {name: getattr(self, name) for name in POLICY_LEVERS
                if name in self.model_fields_set}


class CapitalRulesConfig(Section):
    """How the minimum capital ratio binds (``policy.min_capital_ratio``): the ratio is a
    lender's equity over its risk-weighted outstanding loans (consumer loans weighted 100 %
    by default, see configs/calibration.md), checked at the start of each lending day on
    the books of the day before. Below the minimum the lender makes no new loan (no
    applicant reaches it; its book is still collected, funded and serviced) until the ratio
    is back at the minimum; after ``exit_after_days`` days in a row below the floor it
    leaves the market for good and runs its book off.
    """

    risk_weight: float = param(1.0, "Risk weight of an outstanding consumer loan: 100 % "
                               "is China's weight for other exposures to individuals (2023 "
                               "capital rules; 75 % for qualifying regulatory retail), see "
                               "configs/calibration.md.", "share", gt=0.0, le=12.5)
    floor_ratio: OptionalCap = param(None, "Capital ratio below which days count towards "
                                     "leaving the market; null: the minimum in force.",
                                     "ratio", ge=0.0, le=10.0)
    exit_after_days: int | None = param(None, "Days in a row below the floor after which "
                                        "the lender leaves the market (makes no new loan "
                                        "again); null: it never leaves.", "days", ge=1,
                                        le=36_500)

    @model_validator(mode="after")
    def _floor_needs_an_exit(self) -> CapitalRulesConfig:
        if self.floor_ratio is not None and self.exit_after_days is None:
            raise ValueError("floor_ratio: only counts towards leaving the market; set "
                             "exit_after_days too (or leave floor_ratio null)")
        return self


class PolicyConfig(Section):
    """Regulator policy levers that bind every lender."""

    apr_cap: OptionalCap = param(0.36, "Highest all-in APR (interest plus fees) a loan may "
                                 "carry; applications that cannot be priced under it are "
                                 "declined. null (or none) for no cap.", "rate/year", ge=0.0,
                                 le=10.0)
    consortium: bool = param(False, "Whether the lenders' information-sharing consortium "
                             "exists; members then see each other's active loans.")
    max_loan_to_income: OptionalCap = param(None, "Highest principal / yearly stated income "
                                            "of a loan; larger asks are declined "
                                            "(LOAN_TO_INCOME). null (or none) for no cap.",
                                            "ratio", gt=0.0, le=100.0)
    min_capital_ratio: OptionalCap = param(None, "Minimum capital ratio: equity / risk-"
                                           "weighted outstanding loans (policy.capital); a "
                                           "lender below it makes no new loan until it is "
                                           "back above. null (or none) for no minimum.",
                                           "ratio", ge=0.0, le=10.0)
    min_own_share: OptionalCap = param(None, f"{OWN_SHARE_TEXT} null (or none): no "
                                       "minimum.", "share", ge=0.0, le=1.0)
    max_funding_multiple: OptionalCap = param(None, f"{FUNDING_CAP_TEXT} null (or none): "
                                              "no cap.", "ratio", ge=0.0, le=100.0)
    capital: CapitalRulesConfig = param(CapitalRulesConfig(), "How the minimum capital "
                                        "ratio binds: risk weight, floor, time to exit.")
    schedule: list[PolicyChange] = param([], "Policy changes by day (the regulator's "
                                         "calendar), applied in day order (entries of one "
                                         "day in list order). An entry changes exactly the "
                                         "fields it names: {day: 100, consortium: true} "
                                         "keeps the APR cap in force, {day: 100, apr_cap: "
                                         "null} lifts it. Entries dated on or after "
                                         "run.steps are never applied.")

    @model_validator(mode="after")
    def _exit_has_a_floor(self) -> PolicyConfig:
        capital = self.capital
        if capital.exit_after_days is not None and capital.floor_ratio is None and \
                self.min_capital_ratio is None and not any(
                    "min_capital_ratio" in change.changes() for change in self.schedule):
            raise ValueError("capital: exit_after_days needs a floor: set floor_ratio, or "
                             "min_capital_ratio (now or on the schedule)")
        return self

    def sets(self, lever: str) -> bool:
        """Whether ``lever`` has a value now or on the schedule (a lever never set is left
        out of the run's recorded policy, so older outputs keep their keys).
        """
        return getattr(self, lever) is not None or any(c.names(lever) for c in self.schedule)

    @field_validator("schedule")
    @classmethod
    def _days_in_order(cls, schedule: list[PolicyChange]) -> list[PolicyChange]:
        days = [change.day for change in schedule]
        if days != sorted(days):
            raise ValueError(f"days must be in increasing order, got {days}")
        return schedule


class RunConfig(Section):
    """How long to run and with which seed."""

    name: str = name_param("market", "Run name, used in output folder names.")
    steps: int = param(365, "Days to simulate.", "days", ge=1, le=36_500)
    runoff_days: int = param(0, "Days of run-off after run.steps: no loan is made, and the "
                             "open book is collected, funded, serviced and written off as on "
                             "any day, so profit and losses count every loan of the run to its "
                             "end (its lifetime value). Long enough when it covers the longest "
                             "term plus run.writeoff_dpd (the health check says when it does "
                             "not). 0: the run stops after run.steps. At most 36,500.", "days",
                             ge=0, le=36_500)
    seed: int = param(42, "Seed of the model's random number generator; the same config and "
                      "seed give bit-identical results.", "", ge=0)
    default_dpd: int = param(90, "Days past due at which a loan counts as defaulted.", "days",
                             ge=1)
    writeoff_dpd: int = param(180, "Days past due at which a defaulted loan's principal is "
                              "written off.", "days", ge=1)
    recovery_rate: float = param(0.1, "Share of written-off principal recovered later (posted "
                                 "on the write-off day).", "share", **PROBABILITY)
    record_applications: bool = param(True, "Keep a row per application (features, data "
                                      "queried, rules hit, score, decision, outcome) and write "
                                      "applications.parquet; about 0.2 kB per application.")

    @property
    def total_days(self) -> int:
        """Days the model runs: ``steps`` days of lending, then ``runoff_days`` of run-off."""
        return self.steps + self.runoff_days
