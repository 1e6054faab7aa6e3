import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.weighting import DWA, create


def test_weights_are_one_for_the_first_two_epochs():
    dwa = DWA(["a", "b"])
    assert dwa.weights == {"a": 1.0, "b": 1.0}
    dwa.epoch_end({"a": 2.0, "b": 1.0})
    assert dwa.weights == {"a": 1.0, "b": 1.0}  # one epoch seen: still no ratio (off-by-one guard)


def test_weights_after_two_epochs_by_hand():
    dwa = DWA(["a", "b"])  # T = 2
    dwa.epoch_end({"a": 2.0, "b": 1.0})
    dwa.epoch_end({"a": 1.0, "b": 0.8})
    # w_a = 1/2 = 0.5, w_b = 0.8/1 = 0.8; lambda_a = 2 e^0.25 / (e^0.25 + e^0.4)
    assert dwa.weights == pytest.approx({"a": 0.9251403093, "b": 1.0748596907})
    total = dwa({"a": torch.tensor(1.0), "b": torch.tensor(2.0)})
    assert total.item() == pytest.approx(0.9251403093 + 2 * 1.0748596907)


def test_weights_use_only_the_last_two_epochs():
    dwa = create("dwa", {"a": 10, "b": 2})
    for losses in ({"a": 2.0, "b": 1.0}, {"a": 1.0, "b": 0.8}, {"a": 0.9, "b": 0.4}):
        dwa.epoch_end(losses)
    # w_a = 0.9/1.0, w_b = 0.4/0.8: the slower task (a) gets more weight
    assert dwa.weights == pytest.approx({"a": 1.0996679946, "b": 0.9003320054})


def test_three_tasks_and_temperature():
    dwa = DWA(["a", "b", "c"], temperature=4.0)
    dwa.epoch_end({"a": 1.0, "b": 1.0, "c": 1.0})
    dwa.epoch_end({"a": 1.0, "b": 2.0, "c": 3.0})
    assert dwa.weights["a"] == pytest.approx(0.7628256378)  # 3 e^(1/4) / (e^(1/4) + e^(2/4) + e^(3/4))
    assert sum(dwa.weights.values()) == pytest.approx(3.0)


def test_state_dict_round_trip_resumes_the_history():
    dwa = DWA(["a", "b"])
    dwa.epoch_end({"a": 2.0, "b": 1.0})
    resumed = DWA(["a", "b"])
    resumed.load_state_dict(dwa.state_dict())
    resumed.epoch_end({"a": 1.0, "b": 0.8})
    assert resumed.weights == pytest.approx({"a": 0.9251403093, "b": 1.0748596907})


def test_bad_temperature_and_missing_task():
    with pytest.raises(UserError):
        DWA(["a", "b"], temperature=0.0)
    with pytest.raises(UserError):
        DWA(["a", "b"]).epoch_end({"a": 1.0})
