"""The application fields a lender's rules and models can read, with their meaning.

A field whose data source the lender does not query is NaN in its batch: what a lender
does not query it does not know.
"""

from __future__ import annotations

# name -> (description, data source that provides it or "" when the applicant states it)
APPLICATION_FIELDS: dict[str, tuple[str, str]] = {
    "age_years": ("Stated age of the applicant.", ""),
    "stated_income_cents": ("Monthly income the applicant states (fraudsters overstate).", ""),
    "amount_cents": ("Requested amount, after the product's limits.", ""),
    "term_days": ("Requested term, after the product's limits.", ""),
    "amount_to_income": ("amount_cents / stated_income_cents.", ""),
    "online": ("1 if the application came through an online channel.", ""),
    "digital_affinity": ("Observed digital engagement (0..1) from the app session.", ""),
    "device_applications_24h": ("Applications to this lender from the same device today.", ""),
    "new_device": ("1 if the session's device was first seen with this identity recently "
                   "(people change phones; stolen identities mostly arrive on new ones).", ""),
    "behaviour_score": ("Channel partner's behaviour score (0..1, high = reliable); NaN when "
                        "the channel shares no data.", "channel"),
    "bureau_hit": ("1 if the credit bureau has a file on the applicant.", "bureau"),
    "bureau_history_months": ("Length of the bureau credit history.", "bureau"),
    "bureau_delinquencies": ("Past delinquencies on the bureau file.", "bureau"),
    "bureau_multi_lending": ("Active loans at other lenders that report to the bureau.",
                             "bureau"),
    "bureau_inquiries": ("Recent credit applications on the identity at any lender (decayed "
                         "count, half-life behaviour.fraud.signals.inquiry_half_life_days): "
                         "application velocity.", "bureau"),
    "contact_mismatch": ("1 if the stated phone/address differs from the bureau file.",
                         "bureau"),
    "consortium_loans": ("Active loans at the other members of the information-sharing "
                         "consortium (the asking lender's own are own_active_loans).",
                         "consortium"),
    "consortium_defaults": ("Loans that defaulted (90+ DPD) at the other members of the "
                            "consortium during the run: the bureau's delinquency record "
                            "is history, this is news.", "consortium"),
    "consortium_past_due": ("Loans past due today at the other members of the consortium.",
                            "consortium"),
    "id_match": ("1 if the ID registry confirms the identity, 0 if not.", "id_registry"),
    "verified_income_cents": ("Monthly income on the social-security record.",
                              "social_security"),
    "employed": ("1 if social security shows current employment.", "social_security"),
    "service_profile_score": ("Satisfaction and engagement from the unified service "
                              "platform's customer profile (0..1).", "service"),
    "ring_exposure": ("Accounts linked to the applicant through shared devices and contacts "
                      "(the lender's own graph) that it declined as fraud or saw default.",
                      "graph"),
    "linked_accounts": ("Other applicants linked to the applicant through shared devices and "
                        "contacts in the lender's graph.", "graph"),
    "own_active_loans": ("Active loans the applicant already has with this lender.", ""),
    "own_past_defaults": ("Loans of this applicant that defaulted with this lender.", ""),
    "line_limit_cents": ("Credit limit of the applicant's revolving line with this lender "
                         "(0 = no line yet).", ""),
    "line_used_cents": ("Drawn and unpaid part of that line.", ""),
}
FIELD_NAMES = frozenset(APPLICATION_FIELDS)
