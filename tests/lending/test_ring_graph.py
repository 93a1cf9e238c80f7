"""The ring graph: accounts linked by shared devices and contacts, and their exposure."""

import numpy as np

from simfin.lending.batch import DECLINED, ApplicationBatch
from simfin.lending.ring_graph import RingGraphStage

ID_REASON = 3


def batch(consumers, devices, contacts, past_defaults=None) -> ApplicationBatch:
    n = len(consumers)
    return ApplicationBatch({
        "consumer": np.asarray(consumers), "device_id": np.asarray(devices),
        "contact_id": np.asarray(contacts),
        "own_past_defaults": np.zeros(n) if past_defaults is None else
        np.asarray(past_defaults, dtype=float)})


def test_accounts_sharing_a_device_or_contact_are_linked_transitively():
    stage = RingGraphStage([ID_REASON])
    # 1-2 share device 10; 2-3 share contact 20; 4 is alone; 5-6 share device 11
    out = stage.run(batch([1, 2, 3, 4, 5, 6], [10, 10, 12, 13, 11, 11],
                          [21, 20, 20, 24, 25, 26]))
    assert out["linked_accounts"].tolist() == [2, 2, 2, 0, 1, 1]
    assert out["ring_exposure"].tolist() == [0, 0, 0, 0, 0, 0]
    assert stage.graph_.number_of_nodes() == 5 + 3  # five accounts, three shared identifiers


def test_exposure_counts_linked_accounts_declined_for_fraud_or_defaulted():
    stage = RingGraphStage([ID_REASON])
    first = stage.run(batch([1, 2, 3, 5, 6], [10, 10, 12, 11, 11], [21, 20, 20, 25, 26],
                            past_defaults=[0, 0, 0, 0, 1]))
    first.decline(np.array([True, False, False, False, False]), ID_REASON)
    first.decline(np.array([False, True, False, False, False]), ID_REASON + 1)  # not fraud
    assert first["decision"][0] == DECLINED
    stage.observe_decisions(first)
    # account 7 arrives on account 3's contact: linked to 1 (declined as fraud), 2, 3
    out = stage.run(batch([7, 5, 9], [30, 11, 31], [20, 25, 32]))
    assert out["linked_accounts"].tolist() == [3, 1, 0]
    assert out["ring_exposure"].tolist() == [1, 1, 0]  # 5 is linked to 6, who defaulted


def test_decided_rows_get_no_graph_fields():
    stage = RingGraphStage([ID_REASON])
    b = batch([1, 2], [10, 10], [20, 21])
    b.decline(np.array([True, False]), ID_REASON)
    out = stage.run(b)
    assert np.isnan(out["linked_accounts"][0]) and out["linked_accounts"][1] == 0
