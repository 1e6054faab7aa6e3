import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.weighting import GradNorm
from mtlkit.weighting.gradnorm import last_shared_layer


def two_task_step(weighting, shared, heads, x, scale_b=1.0):
    features = shared(x)
    losses = {"a": heads[0](features).pow(2).mean(), "b": scale_b * heads[1](features).pow(2).mean()}
    return weighting.backward(losses, list(shared.parameters()))


def make(seed=0):
    torch.manual_seed(seed)
    shared = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8))
    heads = nn.ModuleList([nn.Linear(8, 1), nn.Linear(8, 1)])
    return shared, heads, torch.randn(16, 4)


def test_first_step_moves_weights_by_lr_against_the_larger_gradient():
    shared, heads, x = make()
    gn = GradNorm(["a", "b"], lr=0.025)
    two_task_step(gn, shared, heads, x, scale_b=10.0)  # task b: 10x the gradient norm, ratios equal
    # Adam's first step is lr * sign(dL_grad/dw): b down, a up; the sum is already 2
    assert gn.weights == pytest.approx({"a": 1.025, "b": 0.975})


def test_weights_stay_positive_and_sum_to_k_over_steps():
    shared, heads, x = make(1)
    gn = GradNorm(["a", "b"], alpha=1.5, lr=0.2)
    optimizer = torch.optim.SGD([*shared.parameters(), *heads.parameters()], lr=0.01)
    for _ in range(30):
        optimizer.zero_grad()
        total = two_task_step(gn, shared, heads, x, scale_b=5.0)
        optimizer.step()
        assert torch.isfinite(total)
        assert all(w > 0 for w in gn.weights.values())
        assert sum(gn.weights.values()) == pytest.approx(2.0)
    assert gn.weights["b"] < gn.weights["a"]


def test_model_gets_the_gradient_of_the_weighted_sum():
    shared, heads, x = make()
    gn = GradNorm(["a", "b"])
    with torch.no_grad():
        gn._weights.copy_(torch.tensor([0.5, 1.5]))
    two_task_step(gn, shared, heads, x)
    got = heads[1].weight.grad.clone()
    heads.zero_grad()
    features = shared(x)
    (1.5 * heads[1](features).pow(2).mean()).backward()
    assert torch.allclose(got, heads[1].weight.grad)


def test_last_shared_layer_is_the_last_matrix():
    shared = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 8))
    assert last_shared_layer(list(shared.parameters())) is shared[1].weight
    bias_only = nn.Parameter(torch.zeros(3))
    assert last_shared_layer([bias_only]) is bias_only


def test_no_shared_parameters_is_a_user_error():
    phi = nn.Parameter(torch.tensor(1.0))
    with pytest.raises(UserError, match="dwa"):
        GradNorm(["a", "b"]).backward({"a": phi, "b": phi}, [])


def test_bad_options():
    with pytest.raises(UserError):
        GradNorm(["a", "b"], lr=0.0)
