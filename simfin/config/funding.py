"""Funding partners (``lenders.N.funding``): co-lending and facilitation (issue 24).

In China's internet consumer finance most loans are decided by a platform and funded in
part or in whole by banks: co-lending (联合贷款), where each party funds a share of every
loan, and facilitation (助贷), where a capital-light platform funds nothing, earns a service
fee and the funding institution (or the platform, by guarantee) bears the credit loss. A
lender's ``funding.partners`` lists the other lenders that may fund its loans; the engine
is :mod:`simfin.lending.co_lending`. The regulator's minimum own share of a co-funded loan
and cap on a lender's borrowed funding are ``policy.min_own_share`` and
``policy.max_funding_multiple``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from simfin.config.base import Section, param

CreditRisk = Literal["guarantee", "partner", "pro_rata"]
CREDIT_RISKS = ("guarantee", "partner", "pro_rata")
"""Who bears the credit loss of a co-funded loan (the codes of :mod:`simfin.lending.co_lending`)."""


class PartnerConfig(Section):
    """One funding partner of a lender (the originator): another lender of the market that
    funds a share of the originator's loans.
    """

    lender: str = param("bank", "Name of the funding lender: another lender of the market "
                        "(a lender never funds its own loans).")
    share: float = param(0.7, "Share of each loan's principal the partner funds, from "
                         "0.0001 to 1, kept in basis points (loans.parquet's funder_share); "
                         "clipped to 1 - policy.min_own_share in force on the booking day. "
                         "1.0 with credit_risk 'partner' is facilitation (the capital-light "
                         "mode): the platform funds nothing and earns the service fee.",
                         "share", ge=0.0001, le=1.0)
    funding_apr: float | None = param(None, "The partner's price: the yearly rate it earns "
                                      "on its share (the part share x interest x "
                                      "funding_apr / the loan's rate of the interest paid, "
                                      "never more than its share of the interest); the rest "
                                      "of the interest on its share is the originator's "
                                      "service fee (ledger kind service_fees), and fees stay "
                                      "with the originator. null: pure co-lending, the "
                                      "partner earns the loan's rate and its share of the "
                                      "fees.", "rate/year", ge=0.0, le=10.0)
    credit_risk: CreditRisk = param("pro_rata", "Who bears the credit loss: 'pro_rata' "
                                    "(each party writes its own part off against its own "
                                    "allowance and gets its share of recoveries), "
                                    "'guarantee' (the originator pays the partner its "
                                    "outstanding part at write-off, writes the whole loan "
                                    "off and keeps the recoveries), 'partner' (the partner "
                                    "bears the whole loan: it pays the originator's own "
                                    "outstanding part at write-off, writes the whole loan "
                                    "off and keeps the recoveries). The party that bears a "
                                    "loss provisions for it and counts it in its capital "
                                    "ratio.")
    max_outstanding_cents: int | None = param(None, "Most principal of the originator's "
                                              "loans the partner holds at once (its credit "
                                              "line to the originator); a loan whose part "
                                              "does not fit goes to the next partner or is "
                                              "funded by the originator alone. null: no "
                                              "limit.", "cents", ge=0, le=10**12)


class FundingConfig(Section):
    """Who funds the lender's loans besides itself (none by default), and whether the cap
    on borrowed funding binds it.
    """

    partners: list[PartnerConfig] = param([], "Funding partners, in order of preference: "
                                          "each loan is co-funded by the first partner in "
                                          "the market, lending and with room under its "
                                          "max_outstanding_cents; a loan with none is "
                                          "funded by the originator alone. Each partner at "
                                          "most once. Empty: the lender funds its loans "
                                          "alone.", max_length=20)

    deposit_funded: bool = param(False, "A deposit-taking bank: policy.max_funding_multiple "
                                 "does not bind it (the 2020 draft rules cap the borrowing "
                                 "of online micro-lenders; a bank's leverage is bounded by "
                                 "its capital ratio, policy.min_capital_ratio).")

    @field_validator("partners")
    @classmethod
    def _each_once(cls, partners: list[PartnerConfig]) -> list[PartnerConfig]:
        names = [p.lender for p in partners]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"partner {name!r} is listed twice (each partner at most "
                                 "once)")
        return partners


def check_partners(lender_names: list[str], fundings: list[FundingConfig]) -> None:
    """Every partner is another lender of the market.

    Raises:
        ValueError: ``lenders: <name>.funding.partners.<i>.lender: ...`` (one line).
    """
    from simfin.config.base import did_you_mean

    for name, funding in zip(lender_names, fundings, strict=True):
        for i, partner in enumerate(funding.partners):
            where = f"lenders: {name}.funding.partners.{i}.lender"
            if partner.lender == name:
                raise ValueError(f"{where}: a lender cannot fund its own loans as a "
                                 f"partner ({name!r})")
            if partner.lender not in lender_names:
                raise ValueError(f"{where}: no lender named {partner.lender!r}"
                                 f"{did_you_mean(partner.lender, lender_names)}; one of "
                                 f"{', '.join(n for n in lender_names if n != name)}")
