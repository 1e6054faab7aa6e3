import math

import pytest
import torch

from mtlkit.weighting import Uncertainty, create


def test_initial_total_and_weights():
    w = create("uncertainty", ["a", "b"])
    assert w.weights == {"a": 0.5, "b": 0.5}
    assert w({"a": torch.tensor(2.0), "b": torch.tensor(4.0)}).item() == pytest.approx(3.0)


def test_gradient_wrt_s_is_half_minus_half_loss_at_zero():
    w = Uncertainty(["a", "b"])
    w.backward({"a": torch.tensor(2.0), "b": torch.tensor(0.5)}, [])
    assert w.log_vars.grad.tolist() == pytest.approx([0.5 - 1.0, 0.5 - 0.25])


def test_gradient_wrt_s_vanishes_at_log_loss():
    w = Uncertainty(["a", "b"])
    with torch.no_grad():
        w.log_vars.copy_(torch.log(torch.tensor([2.0, 0.3])))
    w({"a": torch.tensor(2.0), "b": torch.tensor(0.3)}).backward()
    assert w.log_vars.grad.abs().max().item() < 1e-6
    assert w.weights == pytest.approx({"a": 0.25, "b": 0.5 / 0.3})


def test_total_is_negative_for_small_losses_at_the_optimum():
    w = Uncertainty(["a"], init=math.log(0.1))
    total = w({"a": torch.tensor(0.1)})
    assert total.item() == pytest.approx(0.5 + 0.5 * math.log(0.1)) and total.item() < 0


def test_loss_gradient_is_the_weight():
    w = Uncertainty(["a", "b"], init=1.0)
    loss = torch.tensor(1.5, requires_grad=True)
    w({"a": loss, "b": torch.tensor(1.0)}).backward()
    assert loss.grad.item() == pytest.approx(0.5 * math.exp(-1.0))
