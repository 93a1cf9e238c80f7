"""Fraud behaviour (``behaviour.fraud``): who the fraudsters are, what they fake, how they
organise in rings, and how they adapt when lenders block them.

Three kinds of fraudster share ``population.fraud_share``: first-party fraud (a real person
with a real file who means not to repay: builds trust on small loans, then busts out),
synthetic identities (thin or no bureau file, sometimes an ID-registry mismatch) and stolen
identities (a victim's real, clean file; but a new device, a contact that does not match the
file, and no behaviour history). Every signal is a probability, never a fingerprint: some
fraud passes every check, and some good customers trip them.
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from simfin.config.base import PROBABILITY, Section, check_range, param


class FraudNeedMultiplier(Section):
    """Fraudsters look for money, fast: how much more often they act, by product kind."""

    instalment: float = param(1.0, "On scenario instalment loans.", "ratio", ge=0.0, le=1000.0)
    cash: float = param(2.0, "On instant cash loans.", "ratio", ge=0.0, le=1000.0)
    revolving: float = param(1.5, "On revolving credit-line draws.", "ratio", ge=0.0,
                             le=1000.0)


class FraudSignals(Section):
    """How often each kind of applicant shows each (noisy) fraud signal."""

    genuine_new_device_rate: float = param(0.06, "Share of genuine applications from a device "
                                           "new to the identity (people change phones).",
                                           "share", **PROBABILITY)
    stolen_new_device_rate: float = param(0.8, "Share of stolen-identity applications from a "
                                          "device new to the identity.", "share",
                                          **PROBABILITY)
    synthetic_new_device_rate: float = param(0.35, "Share of synthetic-identity applications "
                                             "from a new device.", "share", **PROBABILITY)
    new_device_days: int = param(30, "A device first used with an identity this recently "
                                 "counts as new (after a ring rotates its devices).", "days",
                                 ge=1, le=3650)
    genuine_contact_mismatch_rate: float = param(0.04, "Share of genuine consumers whose "
                                                 "phone or address differs from the bureau "
                                                 "file (they moved).", "share",
                                                 **PROBABILITY)
    stolen_contact_mismatch_rate: float = param(0.55, "Share of stolen identities whose "
                                                "stated contact differs from the victim's "
                                                "file.", "share", **PROBABILITY)
    synthetic_id_mismatch_rate: float = param(0.45, "Share of synthetic identities the ID "
                                              "registry does not confirm (the better-made "
                                              "ones pass).", "share", **PROBABILITY)
    genuine_id_mismatch_rate: float = param(0.005, "Share of genuine consumers the ID "
                                            "registry does not confirm (registry errors).",
                                            "share", **PROBABILITY)
    synthetic_file_rate: float = param(0.35, "Share of synthetic identities with an (aged, "
                                       "short) bureau file.", "share", **PROBABILITY)
    synthetic_max_history_months: int = param(24, "Longest bureau history of a synthetic "
                                              "identity.", "months", ge=1, le=600)
    genuine_no_history_rate: float = param(0.1, "Share of genuine applicants a data-sharing "
                                           "channel has no behaviour history for.", "share",
                                           **PROBABILITY)
    fraud_no_history_rate: float = param(0.5, "Share of synthetic and stolen identities a "
                                         "data-sharing channel has no behaviour history for.",
                                         "share", **PROBABILITY)
    farmed_score_mean: float = param(0.6, "Mean behaviour score of identities that farmed a "
                                     "history on partner platforms.", "probability",
                                     **PROBABILITY)
    farmed_score_sd: float = param(0.2, "Spread of the farmed behaviour scores (no constant "
                                   "fingerprint).", "probability", ge=0.0, le=10.0)
    inquiry_half_life_days: float = param(10.0, "Half-life of the application-velocity count "
                                          "the bureau reports (bureau_inquiries_30d).", "days",
                                          gt=0.0, le=365.0)


class FirstPartyFraud(Section):
    """Real people with real files who borrow without meaning to repay (bust-out)."""

    share: float = param(0.35, "Share of fraudsters who commit first-party fraud.", "share",
                         **PROBABILITY)
    willingness_mean: float = param(0.6, "Mean latent willingness of first-party fraudsters "
                                    "(their files and behaviour show some of it).",
                                    "probability", gt=0.0, lt=1.0)
    trust_loans_mean: float = param(1.5, "Mean number of loans a first-party fraudster repays "
                                    "to build trust before busting out (Poisson).", "loans",
                                    ge=0.0, le=100.0)
    extra_external_loans: float = param(1.5, "Extra loans at outside lenders they load up on "
                                        "(Poisson mean): a multi-lending signal.", "loans",
                                        ge=0.0, le=20.0)


class FraudRings(Section):
    """Organised rings: shared devices and contacts, and adaptation when blocked."""

    ring_share: float = param(0.7, "Share of synthetic and stolen identities run by a ring; "
                              "the rest act alone.", "share", **PROBABILITY)
    ring_size: int = param(12, "Mean identities per ring (Poisson, at least 2).",
                           "identities/ring", ge=2, le=100_000)
    identities_per_device: int = param(4, "Identities a ring runs on one device.",
                                       "identities/device", ge=1, le=100_000)
    contacts_per_ring: int = param(2, "Contact phone numbers a ring's identities share.",
                                   "contacts/ring", ge=1, le=1000)
    household_device_share: float = param(0.03, "Share of genuine consumers who share a "
                                          "device with another genuine consumer (families: "
                                          "innocent links).", "share", **PROBABILITY)
    household_contact_share: float = param(0.03, "Share of genuine consumers who share a "
                                           "contact number with another genuine consumer.",
                                           "share", **PROBABILITY)
    adapt: bool = param(True, "Whether rings adapt when their applications are declined.")
    adapt_after_declines: int = param(3, "Declines of a ring's applications (since it last "
                                      "adapted) that make it adapt.", "declines", ge=1, le=100_000)
    slowdown: float = param(0.4, "Factor on a ring's application rate when it adapts "
                            "(trades volume for stealth).", "ratio", ge=0.0, le=1.0)
    recovery_days: float = param(60.0, "Days over which a slowed ring's activity returns to "
                                 "normal (linear).", "days", gt=0.0, le=10_000.0)
    rotate_contact_rate: float = param(0.5, "Probability that an adapting ring also replaces "
                                       "its contact numbers (devices are always replaced).",
                                       "probability", **PROBABILITY)


class FraudDisguise(Section):
    """What each kind of fraudster fakes on the application form: the factor on the
    true income they state (drawn uniformly from the range, per identity) and the ages
    synthetic identities state. Genuine applicants' rounding up is
    ``behaviour.application.income_overstatement_sd``.
    """

    first_party_income_overstatement: list[float] = param(
        [1.0, 1.6], "Range of the factor on their true income that first-party fraudsters "
        "state (real people: a modest inflation). Within 0.01 to 100.", "ratio",
        min_length=2, max_length=2)
    synthetic_income_overstatement: list[float] = param(
        [1.5, 4.0], "Range of the factor on the file's income that synthetic identities "
        "state (an invented person: any income). Within 0.01 to 100.", "ratio",
        min_length=2, max_length=2)
    stolen_income_overstatement: list[float] = param(
        [1.2, 2.5], "Range of the factor on the victim's income that stolen identities "
        "state. Within 0.01 to 100.", "ratio",
        min_length=2, max_length=2)
    synthetic_age_years: list[int] = param(
        [17, 45], "Range of the ages synthetic identities state, inclusive (a few state an "
        "under age, which an age rule catches). Within 0 to 120.", "years",
        min_length=2, max_length=2)

    @field_validator("first_party_income_overstatement", "synthetic_income_overstatement",
                     "stolen_income_overstatement")
    @classmethod
    def _factor_range(cls, values: list[float]) -> list[float]:
        return check_range(values, 0.01, 100.0, "factors")

    @field_validator("synthetic_age_years")
    @classmethod
    def _age_range(cls, values: list[int]) -> list[int]:
        return check_range(values, 0, 120, "ages")


class FraudBehaviour(Section):
    """Fraudsters: their kinds, how often they apply, what they fake, how they organise."""

    need_multiplier: FraudNeedMultiplier = param(FraudNeedMultiplier(), "Fraudsters' need "
                                                 "rate relative to a scenario's, by product.")
    synthetic_share: float = param(0.3, "Share of fraudsters using synthetic identities; "
                                   "the rest after first-party and synthetic use stolen "
                                   "real identities.", "share", **PROBABILITY)
    online_share: float = param(0.95, "Share of fraudsters' applications made online (an "
                                "offline store sees the face).", "share", **PROBABILITY)
    bust_out_amount_multiplier: float = param(2.0, "Factor on the amount a fraudster asks "
                                              "for when busting out (stolen identities "
                                              "always).", "ratio", ge=1.0, le=100.0)
    bust_out_loans: int = param(2, "Loans an identity takes without paying (the bust-out) "
                                "before it is burnt and stops applying.", "loans", ge=1, le=1000)
    synthetic_trust_loans_mean: float = param(0.5, "Mean loans a synthetic identity repays "
                                              "before busting out (Poisson).", "loans",
                                              ge=0.0, le=100.0)
    first_party: FirstPartyFraud = param(FirstPartyFraud(), "First-party (bust-out) fraud.")
    signals: FraudSignals = param(FraudSignals(), "Noisy fraud signals.")
    rings: FraudRings = param(FraudRings(), "Rings on a device/contact graph.")
    disguise: FraudDisguise = param(FraudDisguise(), "Stated incomes and ages of each kind.")

    @model_validator(mode="after")
    def _shares(self) -> FraudBehaviour:
        if self.first_party.share + self.synthetic_share > 1.0:
            raise ValueError("first_party.share + synthetic_share must be at most 1")
        return self
