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


def branchy(grads: torch.Tensor, order) -> torch.Tensor:
    """The previous formula, with its host-side ``if dot < 0`` (the reference for the branch-free one)."""
    projected = grads.clone()
    for i, others in enumerate(order):
        for j in others:
            dot = (projected[i] * grads[j]).sum()
            if dot < 0:
                projected[i] -= dot / (grads[j] * grads[j]).sum().clamp_min(1e-20) * grads[j]
    return projected


@pytest.mark.parametrize("seed", range(30))
def test_branch_free_projection_equals_the_branchy_formula(seed):
    g = torch.Generator().manual_seed(seed)
    k = 2 + seed % 3
    grads = torch.randn(k, 5, generator=g)
    grads[seed % k] *= seed % 2  # a zero gradient in every other case
    if k > 2:  # g0 . g_last == 0 exactly: the boundary case of the conflict test
        grads[0, 2:] = 0.0
        grads[-1] = torch.tensor([-grads[0, 1].item(), grads[0, 0].item(), 0.0, 0.0, 0.0])
    order = [[j for j in torch.randperm(k, generator=g).tolist() if j != i] for i in range(k)]
    assert torch.equal(project_conflicting(grads, order), branchy(grads, order))


THREE = torch.tensor([[1.0, 0.0], [-1.0, 2.0], [-1.0, -1.0]])  # g0 conflicts with g1 and g2; g1 . g2 = -1


def test_three_tasks_the_order_matters_by_hand():
    # g0 meets g1 first: g0 + g1 / 5 = (0.8, 0.4); then . g2 = -1.2: + 0.6 g2 = (0.2, -0.2)
    # g0 meets g2 first: g0 + g2 / 2 = (0.5, -0.5); then . g1 = -1.5: + 0.3 g1 = (0.2, 0.1)
    first = project_conflicting(THREE, [[1, 2], [0, 2], [0, 1]])
    second = project_conflicting(THREE, [[2, 1], [0, 2], [0, 1]])
    assert first[0].tolist() == pytest.approx([0.2, -0.2])
    assert second[0].tolist() == pytest.approx([0.2, 0.1])
    assert torch.equal(first[1:], second[1:])


def three_task_losses(theta: nn.Parameter) -> dict[str, torch.Tensor]:
    return {task: g @ theta for task, g in zip("abc", THREE, strict=True)}


def test_backward_draws_a_new_seeded_order_every_step():
    pcgrad, twin = PCGrad(["a", "b", "c"], seed=3), PCGrad(["a", "b", "c"], seed=3)
    results = []
    for _ in range(12):
        theta = nn.Parameter(torch.zeros(2))
        pcgrad.backward(three_task_losses(theta), [theta])
        expected = project_conflicting(THREE, twin.random_order()).sum(dim=0)
        assert torch.allclose(theta.grad, expected)
        results.append(tuple(theta.grad.tolist()))
    assert len(set(results)) > 1  # a fixed order would give the same gradient every step
    orders = [PCGrad(["a", "b", "c"], seed=s).random_order() for s in range(6)]
    assert len({str(o) for o in orders}) > 1  # the seed chooses the stream


def test_a_step_reads_nothing_back_from_the_device():
    # on the meta device any host read (bool(), int(), .item()) raises
    theta = nn.Parameter(torch.zeros(2, device="meta"))
    losses = {task: g.to("meta") @ theta for task, g in zip("abc", THREE, strict=True)}
    total = PCGrad(["a", "b", "c"]).backward(losses, [theta])
    assert total.device.type == "meta" and theta.grad.device.type == "meta"


def channels_last_conv_step(fused: bool) -> dict[str, torch.Tensor]:
    """One PCGrad + AdamW step on a channels_last conv model (as fit runs it on CUDA)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 2)})
    x = torch.randn(5, 3, 8, 8).to(memory_format=torch.channels_last)
    features = conv(x).mean(dim=(2, 3))
    y = torch.randint(0, 2, (5,))
    losses = {t: nn.functional.cross_entropy(head(features), y) for t, head in heads.items()}
    PCGrad({"a": 2, "b": 2}, seed=0).backward(losses, list(conv.parameters()))
    assert conv.weight.grad.stride() == conv.weight.stride()  # the parameter's memory format
    opt = torch.optim.AdamW([*conv.parameters(), *heads.parameters()], lr=0.1, fused=fused)
    opt.step()
    return {k: v.detach().clone() for k, v in conv.state_dict().items()}


def test_projected_gradients_keep_the_parameters_memory_format_for_fused_optimisers():
    fused, plain = channels_last_conv_step(True), channels_last_conv_step(False)
    for name in plain:
        torch.testing.assert_close(fused[name], plain[name])
