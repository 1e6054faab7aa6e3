import pytest
import torch
from torch import nn

from mtlkit.weighting import PCGrad
from mtlkit.weighting.pcgrad import project_conflicting

TWO = [[1], [0]]  # with two tasks the order is fixed


def test_conflicting_2d_gradients_by_hand():
    grads = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])  # g1 . g2 = -1
    projected = project_conflicting(grads, TWO)
    # g1 - (-1)/2 g2 = (0.5, 0.5);  g2 - (-1)/1 g1 = (0, 1)
    assert projected.tolist() == [[0.5, 0.5], [0.0, 1.0]]


def test_non_conflicting_gradients_are_unchanged():
    grads = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert torch.equal(project_conflicting(grads, TWO), grads)


@pytest.mark.parametrize("seed", range(20))
def test_no_negative_inner_products_after_projection_two_tasks(seed):
    grads = torch.randn(2, 7, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    p = project_conflicting(grads, TWO)
    assert (p[0] @ p[1]).item() >= -1e-12
    assert (p[0] @ grads[1]).item() >= -1e-12 and (p[1] @ grads[0]).item() >= -1e-12


def setup_2d():
    theta = nn.Parameter(torch.tensor([0.3, -0.2]))  # shared
    phi = nn.Parameter(torch.tensor(1.5))  # task-specific (task a)
    losses = {
        "a": torch.tensor([1.0, 0.0]) @ theta + phi**2,
        "b": torch.tensor([-1.0, 1.0]) @ theta,
    }
    return theta, phi, losses


def test_backward_writes_projected_shared_grad_and_plain_task_grad():
    theta, phi, losses = setup_2d()
    total = PCGrad(["a", "b"]).backward(losses, [theta])
    assert theta.grad.tolist() == pytest.approx([0.5, 1.5])  # (0.5, 0.5) + (0, 1)
    assert phi.grad.item() == pytest.approx(3.0)  # d phi^2 = 2 phi, untouched by the surgery
    assert total.item() == pytest.approx(0.3 + 2.25 + (-0.3 - 0.2))


def test_backward_adds_to_already_accumulated_grads():
    theta, _, losses = setup_2d()
    theta.grad = torch.tensor([10.0, 10.0])
    PCGrad(["a", "b"]).backward(losses, [theta])
    assert theta.grad.tolist() == pytest.approx([10.5, 11.5])


def test_shared_parameter_unused_by_a_task_counts_as_zero():
    theta = nn.Parameter(torch.tensor([1.0, 2.0]))
    unused = nn.Parameter(torch.tensor(1.0))
    losses = {"a": theta.sum(), "b": 2 * theta.sum()}
    PCGrad(["a", "b"]).backward(losses, [theta, unused])
    assert theta.grad.tolist() == [3.0, 3.0] and unused.grad.item() == 0.0


def test_no_shared_parameters_warns_and_sums():
    phi = nn.Parameter(torch.tensor(2.0))
    with pytest.warns(UserWarning, match="plain sum"):
        total = PCGrad(["a", "b"]).backward({"a": phi, "b": 3 * phi}, [])
    assert total.item() == 8.0 and phi.grad.item() == 4.0


def test_the_projection_order_stream_survives_a_checkpoint():
    tasks = ["a", "b", "c"]
    original = PCGrad(tasks, seed=4)
    original.random_order()
    state = original.state_dict()
    restored = PCGrad(tasks, seed=4)
    restored.load_state_dict(state)
    assert [restored.random_order() for _ in range(5)] == [original.random_order() for _ in range(5)]
