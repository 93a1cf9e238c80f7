"""The application fields a lender's rules and models can read, with their meaning.

Three kinds: what the applicant states and the session shows (:data:`STATED_FIELDS`), what
the data sources provide (declared by each source when it is registered:
``simfin.lending.registry.SOURCES``), and what the lender knows itself
(:data:`LENDER_FIELDS`). ``SOURCES.catalogue()`` lists the three in that order.

A field whose data source the lender does not query is NaN in its batch: what a lender
does not query it does not know.
"""

from __future__ import annotations

# name -> (description, who provides it: "" when the applicant states it or the session
# shows it, "channel" for the channel partner's data)
STATED_FIELDS: dict[str, tuple[str, str]] = {
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
}

# name -> (description, "graph" for the lender's ring graph (read after the data queries),
# "" for its own books)
LENDER_FIELDS: dict[str, tuple[str, str]] = {
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
