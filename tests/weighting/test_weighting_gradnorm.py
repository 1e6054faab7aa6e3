import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.weighting import GradNorm
from mtlkit.weighting.gradnorm import last_shared_layer, weight_gradient


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


def test_weight_gradient_by_hand():
    # w = (0.5, 1.5), g = (2, 2): G = (1, 3), mean 2; L / L(0) = (0.5, 1.5), so r = (0.5, 1.5)
    # target = 2 r^1.5 = (0.7071, 3.6742): G - target = (+0.29, -0.67) -> dL_grad/dw = sign * g = (2, -2)
    args = (
        torch.tensor([0.5, 1.5]),
        torch.tensor([2.0, 2.0]),
        torch.tensor([1.0, 3.0]),
        torch.tensor([2.0, 2.0]),
    )
    assert weight_gradient(*args, alpha=1.5).tolist() == [2.0, -2.0]
    # alpha = 0: the target is mean(G) = 2 for both, G - target = (-1, +1): the opposite direction
    assert weight_gradient(*args, alpha=0.0).tolist() == [-2.0, 2.0]


def linear_losses(weight: nn.Parameter, values: tuple[float, float]) -> dict[str, torch.Tensor]:
    """L_a = c_a + <(3, 4), W>, L_b = c_b + <(4, 3), W>: gradient norms at W are both exactly 5."""
    return {
        "a": values[0] + (torch.tensor([[3.0, 4.0]]) * weight).sum(),
        "b": values[1] + (torch.tensor([[4.0, 3.0]]) * weight).sum(),
    }


def test_equal_gradient_norms_weights_move_by_the_inverse_training_rate():
    weight = nn.Parameter(torch.zeros(1, 2))
    gn = GradNorm(["a", "b"], alpha=1.5, lr=0.025)
    gn.backward(linear_losses(weight, (2.0, 2.0)), [weight])  # L(0) = (2, 2): r = (1, 1), G = target
    assert gn.weights == {"a": 1.0, "b": 1.0}
    gn.backward(linear_losses(weight, (1.0, 2.0)), [weight])  # a learned faster: r = (2/3, 4/3)
    # G = (5, 5) vs target 5 r^1.5 = (2.72, 7.70): dL_grad/dw = (+5, -5). Adam at t = 2 after a zero first
    # gradient: m_hat = 0.1 g / (1 - 0.9^2), v_hat = 0.001 g^2 / (1 - 0.999^2), so the step is
    # sign(g) * (0.1 / 0.19) * sqrt(1.999) = 0.744137; w = 1 -/+ 0.025 * 0.744137 (the sum stays 2)
    assert gn.weights == pytest.approx({"a": 0.9813965795, "b": 1.0186034205}, abs=1e-6)


def test_equal_gradient_norms_and_alpha_zero_leave_the_weights_alone():
    weight = nn.Parameter(torch.zeros(1, 2))
    gn = GradNorm(["a", "b"], alpha=0.0)
    for values in ((2.0, 2.0), (1.0, 2.0), (0.5, 2.0)):
        gn.backward(linear_losses(weight, values), [weight])
    assert gn.weights == {"a": 1.0, "b": 1.0}


def run_steps(gn, shared, heads, x, steps):
    optimizer = torch.optim.SGD([*shared.parameters(), *heads.parameters()], lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        two_task_step(gn, shared, heads, x, scale_b=3.0)
        optimizer.step()


def test_a_state_dict_round_trip_resumes_exactly():
    straight = GradNorm(["a", "b"], lr=0.1)
    run_steps(straight, *make(2), steps=5)
    first = GradNorm(["a", "b"], lr=0.1)
    shared, heads, x = make(2)
    run_steps(first, shared, heads, x, steps=3)
    resumed = GradNorm(["a", "b"], lr=0.1)
    resumed.load_state_dict(first.state_dict())
    assert resumed.steps == 3  # else L(0) would be re-recorded and Adam's bias correction restarted
    run_steps(resumed, shared, heads, x, steps=2)
    assert torch.equal(resumed._weights, straight._weights) and resumed.steps == 5


def test_a_step_reads_nothing_back_from_the_device():
    # on the meta device any host read (bool(), int(), .item()) raises
    shared = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8)).to("meta")
    heads = nn.ModuleList([nn.Linear(8, 1), nn.Linear(8, 1)]).to("meta")
    gn = GradNorm(["a", "b"])
    for _ in range(2):
        total = two_task_step(gn, shared, heads, torch.zeros(16, 4, device="meta"))
    assert total.device.type == "meta" and gn.steps == 2


@pytest.mark.parametrize(("arch", "tasks"), [("single", {"a": 3}), ("soft", {"a": 3, "b": 2})])
def test_check_model_refuses_a_model_without_shared_parameters(arch, tasks):
    from mtlkit.models import build

    with torch.device("meta"):
        model = build(arch, "tiny_cnn", tasks)
    with pytest.raises(UserError, match="gradnorm needs parameters shared by every task"):
        GradNorm(list(tasks)).check_model(model)


@pytest.mark.parametrize("arch", ["hard", "cross_stitch"])
def test_check_model_accepts_a_model_with_shared_parameters(arch):
    from mtlkit.models import build

    with torch.device("meta"):
        model = build(arch, "tiny_cnn", {"a": 3, "b": 2})
    GradNorm(["a", "b"]).check_model(model)


def test_check_model_refuses_a_module_without_shared_parameters_method():
    with pytest.raises(UserError, match="gradnorm needs parameters shared"):
        GradNorm(["a", "b"]).check_model(nn.Linear(2, 2))


def test_a_checkpoint_with_the_older_steps_buffer_still_loads():
    from mtlkit.weighting import GradNorm

    state = GradNorm({"a": 2, "b": 2}).state_dict()
    del state["_extra_state"]
    state["steps"] = torch.tensor(7)  # how the step count was stored before it became extra state
    restored = GradNorm({"a": 2, "b": 2})
    restored.load_state_dict(state)
    assert restored.steps == 7
