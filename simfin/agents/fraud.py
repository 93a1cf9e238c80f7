"""Fraudsters as adversaries: their kinds, disguises, rings, and how rings adapt.

Three kinds (``behaviour.fraud``):

- **first-party**: a real person with a real file who means not to repay. Their files and
  behaviour carry some of their (lower) willingness, they load up on outside loans, and they
  repay a few small loans to build trust before busting out;
- **synthetic identities**: invented people with thin or no bureau file, sometimes an ID the
  registry does not confirm, no social-security record; they too may build a little trust;
- **stolen identities**: a victim's real, clean file; but a device new to the identity, a
  contact that often differs from the file, no behaviour history, and no repayment at all.

Synthetic and stolen identities are mostly run by rings that share devices and contact
numbers: the links a lender's graph stage (:mod:`simfin.lending.ring_graph`) can follow.
Genuine families share devices and contacts too, so a link is evidence, not proof. When a
ring's applications are declined it adapts: it replaces its devices (and maybe contacts)
and slows down, trading volume for stealth. Everything is vectorised over rows.
"""

from __future__ import annotations

import numpy as np

GENUINE, FIRST_PARTY, SYNTHETIC, STOLEN = 0, 1, 2, 3
FRAUD_KINDS = ("genuine", "first_party", "synthetic", "stolen")
NEVER = np.iinfo(np.int16).max  # trust loans of a genuine consumer: never busts out
LONG_AGO = -100_000  # day a long-held device was first used


def disguise(pop, rng: np.random.Generator) -> None:
    """Give each fraudster row its kind and the file, identity and links that go with it.

    Called by :class:`simfin.agents.population.Population` after the genuine traits are
    drawn for every row; overwrites the fraud rows' columns and adds the link columns
    (``device_id``, ``contact_id``, ``ring_of``) and the identity checks every row has.
    """
    n, f = pop.n, pop.behaviour.fraud
    sig, fp, fake = f.signals, f.first_party, f.disguise
    u = rng.random(n)
    kind = np.full(n, GENUINE, dtype=np.uint8)
    kind[pop.is_fraud] = STOLEN
    kind[pop.is_fraud & (u < fp.share + f.synthetic_share)] = SYNTHETIC
    kind[pop.is_fraud & (u < fp.share)] = FIRST_PARTY
    pop.fraud_kind = kind
    first, synth, stolen = kind == FIRST_PARTY, kind == SYNTHETIC, kind == STOLEN
    pop.synthetic_id = synth

    # First-party: real people, lower willingness that shows (noisily) in their files.
    rows = np.flatnonzero(first)
    k = pop.config.willingness_concentration
    pop.willingness[rows] = rng.beta(fp.willingness_mean * k, (1 - fp.willingness_mean) * k,
                                     len(rows))
    pop.bureau_delinquencies[rows] = pop.past_delinquencies(rows, rng)
    pop.external_loans[rows] = np.where(pop.has_bureau_file[rows], np.minimum(
        pop.external_loans[rows] + rng.poisson(fp.extra_external_loans, len(rows)),
        pop.behaviour.records.max_external_loans), 0)
    pop.income_overstatement[rows] = rng.uniform(*fake.first_party_income_overstatement,
                                                 len(rows))

    # Synthetic: invented, thin (sometimes aged) files, no delinquencies, any stated age.
    rows = np.flatnonzero(synth)
    has_file = rng.random(len(rows)) < sig.synthetic_file_rate
    pop.has_bureau_file[rows] = has_file
    pop.bureau_history_months[rows] = np.where(
        has_file, rng.integers(1, sig.synthetic_max_history_months + 1, len(rows)), 0)
    pop.bureau_delinquencies[rows] = 0
    pop.external_loans[rows] = 0
    youngest, oldest = fake.synthetic_age_years
    pop.age_years[rows] = rng.integers(youngest, oldest + 1, len(rows))  # some under age
    pop.income_overstatement[rows] = rng.uniform(*fake.synthetic_income_overstatement,
                                                 len(rows))

    # Stolen: the victim's real file (drawn as anyone's, mostly with a file), overstated.
    rows = np.flatnonzero(stolen)
    pop.income_overstatement[rows] = rng.uniform(*fake.stolen_income_overstatement, len(rows))

    # Identity checks every row has: registry mismatch and contact-vs-file mismatch.
    u = rng.random(n)
    pop.id_mismatch = np.where(synth, u < sig.synthetic_id_mismatch_rate,
                               ~pop.is_fraud & (u < sig.genuine_id_mismatch_rate))
    u = rng.random(n)
    pop.contact_mismatch = np.where(stolen, u < sig.stolen_contact_mismatch_rate,
                                    ~stolen & (u < sig.genuine_contact_mismatch_rate))
    pop.new_device_rate = np.select(
        [stolen, synth], [sig.stolen_new_device_rate, sig.synthetic_new_device_rate],
        sig.genuine_new_device_rate).astype(np.float32)

    # Whether a data-sharing partner platform has a behaviour history on the identity.
    pop.partner_history = rng.random(n) >= np.where(
        synth | stolen, sig.fraud_no_history_rate, sig.genuine_no_history_rate)

    # Bust-out: loans repaid to build trust before the fraudster stops paying.
    trust = np.full(n, NEVER, dtype=np.int16)
    trust[first] = np.minimum(rng.poisson(fp.trust_loans_mean, first.sum()), 1000)
    trust[synth] = np.minimum(rng.poisson(f.synthetic_trust_loans_mean, synth.sum()), 1000)
    trust[stolen] = 0
    pop.trust_loans = trust
    _link(pop, rng)


def _link(pop, rng: np.random.Generator) -> None:
    """Devices and contacts: one of each per consumer, shared inside rings and families."""
    n, rings = pop.n, pop.behaviour.fraud.rings
    pop.device_id = np.arange(n, dtype=np.int32)
    pop.contact_id = np.arange(n, dtype=np.int32)
    pop.device_since_day = np.full(n, LONG_AGO, dtype=np.int32)
    # Families: pairs of genuine consumers on one device (or one contact number).
    genuine = np.flatnonzero(~pop.is_fraud)
    for column, share in ((pop.device_id, rings.household_device_share),
                          (pop.contact_id, rings.household_contact_share)):
        pairs = rng.permutation(genuine)[:2 * int(len(genuine) * share / 2)].reshape(-1, 2)
        column[pairs[:, 1]] = column[pairs[:, 0]]
    # Rings: synthetic and stolen identities, grouped at random into rings.
    candidates = np.flatnonzero(pop.is_fraud & (pop.fraud_kind != FIRST_PARTY))
    members = rng.permutation(candidates[rng.random(len(candidates)) < rings.ring_share])
    sizes = np.maximum(rng.poisson(rings.ring_size, len(members) + 1), 2)
    ring = np.repeat(np.arange(len(sizes)), sizes)[:len(members)]
    pop.ring_of = np.full(n, -1, dtype=np.int32)
    pop.ring_of[members] = ring
    pop.n_rings = int(ring.max()) + 1 if len(ring) else 0
    order = np.argsort(ring, kind="stable")
    pop.ring_rows = members[order].astype(np.int32)  # ring members, grouped by ring
    pop.next_device_id, pop.next_contact_id = n, n
    _give_ring_identifiers(pop, pop.ring_rows, devices=True, contacts=True)
    pop.ring_activity = np.ones(pop.n_rings, dtype=np.float32)
    pop.ring_declines = np.zeros(pop.n_rings, dtype=np.int32)


def _give_ring_identifiers(pop, rows: np.ndarray, devices: bool, contacts: bool) -> None:
    """New shared devices (``identities_per_device`` members each) and contact numbers
    (``contacts_per_ring`` per ring) for ring members ``rows`` (grouped by ring).
    """
    if len(rows) == 0:
        return
    rings = pop.behaviour.fraud.rings
    ring = pop.ring_of[rows].astype(np.int64)
    start = np.r_[True, ring[1:] != ring[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(rows)), 0))
    position = np.arange(len(rows)) - first
    for wanted, per, column, counter in (
            (devices, rings.identities_per_device, pop.device_id, "next_device_id"),
            (contacts, None, pop.contact_id, "next_contact_id")):
        if not wanted:
            continue
        slot = position // per if per else position % rings.contacts_per_ring
        _, group = np.unique(ring * 1_000_000 + slot, return_inverse=True)
        base = getattr(pop, counter)
        column[rows] = base + group
        setattr(pop, counter, base + int(group.max()) + 1)


def activity(pop, rows: np.ndarray) -> np.ndarray:
    """Factor on the application rate of fraudster ``rows``: below 1 while their ring lies
    low after being blocked, and 0 once the identity is burnt (it has taken its bust-out
    loans: victims report stolen identities, synthetic ones are flagged).
    """
    ring = pop.ring_of[rows]
    burnt = pop.loans_booked[rows] >= pop.trust_loans[rows] + \
        pop.behaviour.fraud.bust_out_loans
    ring_factor = (pop.ring_activity[np.maximum(ring, 0)] if pop.n_rings
                   else np.ones(len(rows), dtype=np.float32))
    return np.where(burnt, 0.0, np.where(ring >= 0, ring_factor, 1.0))


def record_declines(pop, consumers: np.ndarray) -> None:
    """Count declined applications of ring members, by ring (since it last adapted)."""
    ring = pop.ring_of[consumers]
    ring = ring[ring >= 0]
    if len(ring):
        pop.ring_declines += np.bincount(ring, minlength=pop.n_rings).astype(np.int32)


def adapt(pop, day: int, rng: np.random.Generator) -> np.ndarray:
    """End of day: rings recover activity; rings declined ``adapt_after_declines`` times
    since they last adapted rotate their devices (and maybe contacts) and slow down.
    Returns the rings that adapted.
    """
    if pop.n_rings == 0:
        return np.zeros(0, dtype=np.int64)
    rings = pop.behaviour.fraud.rings
    recovery = (1.0 - rings.slowdown) / rings.recovery_days
    np.minimum(pop.ring_activity + np.float32(recovery), 1.0, out=pop.ring_activity)
    hit = np.flatnonzero(pop.ring_declines >= rings.adapt_after_declines) if rings.adapt \
        else np.zeros(0, dtype=np.int64)
    if len(hit) == 0:
        return hit
    pop.ring_declines[hit] = 0  # count afresh after adapting
    pop.ring_activity[hit] = np.minimum(pop.ring_activity[hit], rings.slowdown)
    members = pop.ring_rows[np.isin(pop.ring_of[pop.ring_rows], hit)]
    _give_ring_identifiers(pop, members, devices=True, contacts=False)
    pop.device_since_day[members] = day
    swap = hit[rng.random(len(hit)) < rings.rotate_contact_rate]
    _give_ring_identifiers(pop, pop.ring_rows[np.isin(pop.ring_of[pop.ring_rows], swap)],
                           devices=False, contacts=True)
    return hit


def paying(pop, rows: np.ndarray) -> np.ndarray:
    """Whether each consumer still pays at all: false for fraudsters who have busted out
    (booked more loans than the trust loans they meant to repay).
    """
    return pop.loans_booked.take(rows) <= pop.trust_loans.take(rows)


def busting_out(pop, rows: np.ndarray) -> np.ndarray:
    """Whether a fraudster's next loan is the bust-out one (asks for a large amount)."""
    return pop.is_fraud[rows] & (pop.loans_booked[rows] >= pop.trust_loans[rows])
