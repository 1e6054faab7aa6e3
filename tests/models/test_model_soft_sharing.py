import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models import SoftSharing, count_parameters


class Lin(nn.Module):
    """The smallest protocol backbone: one 2x2 weight, no bias."""

    num_features = 2

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2, bias=False)

    def forward(self, x):
        return self.fc(x)


def set_weights(model: SoftSharing, values: dict[str, list[list[float]]]) -> None:
    with torch.no_grad():
        for task, w in values.items():
            model.backbones[task].fc.weight.copy_(torch.tensor(w))


def test_regularizer_is_zero_for_identical_copies(make_backbone, tasks):
    model = SoftSharing(make_backbone, tasks, coupling=1.0)
    assert model.regularizer().item() == 0.0
    assert model.backbones["fine"] is not model.backbones["coarse"]


def test_regularizer_by_hand_two_tasks():
    model = SoftSharing(Lin, {"a": 2, "b": 2}, coupling=0.1)
    set_weights(model, {"a": [[0, 0], [0, 0]], "b": [[1, 2], [0, 0]]})
    assert model.regularizer().item() == pytest.approx(0.1 * (1 + 4))


def test_regularizer_by_hand_three_tasks_sums_all_pairs():
    model = SoftSharing(Lin, {"a": 2, "b": 2, "c": 2}, coupling=1.0)
    set_weights(model, {"a": [[0, 0], [0, 0]], "b": [[1, 0], [0, 0]], "c": [[0, 0], [0, 3]]})
    assert model.regularizer().item() == pytest.approx(1 + 9 + (1 + 9))  # ab, ac, bc


def test_regularizer_grows_as_columns_diverge_and_its_gradient_pulls_them_together():
    model = SoftSharing(Lin, {"a": 2, "b": 2}, coupling=0.5)
    values = []
    for step in (0.0, 0.5, 1.0):
        set_weights(model, {"a": [[step, 0], [0, 0]], "b": [[0, 0], [0, 0]]})
        values.append(model.regularizer().item())
    assert values == pytest.approx([0.0, 0.125, 0.5])
    model.regularizer().backward()
    assert model.backbones["a"].fc.weight.grad[0, 0].item() == pytest.approx(2 * 0.5 * 1.0)
    assert model.backbones["b"].fc.weight.grad[0, 0].item() == pytest.approx(-1.0)


def test_independent_init_without_same_init(make_conv, tasks):
    model = SoftSharing(make_conv, tasks, same_init=False)
    assert model.regularizer().item() > 0


def test_forward_and_counts(make_backbone, images, tasks):
    model = SoftSharing(make_backbone, tasks, head="mlp")
    out = model(images)
    assert out["fine"].shape == (6, 5) and out["coarse"].shape == (6, 2)
    counts = count_parameters(model)
    column = sum(p.numel() for p in model.backbones["fine"].parameters())
    assert counts["shared"] == 0 and model.shared_parameters() == []
    assert counts["fine"] - counts["coarse"] == 256 * 3 + 3  # heads differ by 3 classes
    assert counts["fine"] > column
    assert counts["fine"] + counts["coarse"] == counts["total"]


def test_negative_coupling_is_a_user_error(make_conv, tasks):
    with pytest.raises(UserError):
        SoftSharing(make_conv, tasks, coupling=-1.0)


def test_seed_trunks_start_equal_and_are_coupled(make_conv, tasks):
    model = SoftSharing(make_conv, tasks, coupling=0.5, head="seed")
    fine, coarse = model.trunks["fine"][0], model.trunks["coarse"][0]  # the Dense(2048) hard sharing shares
    assert fine.out_features == 2048 and fine is not coarse
    assert torch.equal(fine.weight, coarse.weight) and torch.equal(fine.bias, coarse.bias)
    assert model.regularizer().item() == 0.0
    with torch.no_grad():
        fine.weight[0, 0] += 2.0
    assert model.regularizer().item() == pytest.approx(0.5 * 2.0**2)
    with torch.no_grad():
        model.heads["fine"][0].weight[0, 0] += 5.0  # the task heads stay free
    assert model.regularizer().item() == pytest.approx(0.5 * 2.0**2)


SMALL_SEED = {"type": "seed", "shared": 6, "fine": [4], "coarse": [3], "fine_tasks": ["a"]}


def test_one_sgd_step_at_coupling_one_over_2_t_lr_ties_backbones_and_trunks(make_conv):
    torch.manual_seed(0)
    lr, tasks = 0.1, {"a": 5, "b": 2, "c": 3}
    model = SoftSharing(make_conv, tasks, coupling=1 / (2 * 3 * lr), head=SMALL_SEED, same_init=False)
    coupled = {t: [p.detach().clone() for p in model.coupled_parameters(t)] for t in tasks}
    heads = {t: [p.detach().clone() for p in model.heads[t].parameters()] for t in tasks}
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.regularizer().backward()  # gradient 2 c T (theta_t - mean): one step lands on the mean
    optimizer.step()
    for i, column in enumerate(zip(*coupled.values(), strict=True)):  # the i-th parameter of each task
        mean = torch.stack(column).mean(dim=0)
        for t in tasks:
            assert torch.allclose(model.coupled_parameters(t)[i], mean, atol=1e-6)
    assert model.coupled_parameters("a")[-2] is model.trunks["a"][0].weight  # trunks included
    for t in tasks:
        assert all(torch.equal(p, q) for p, q in zip(model.heads[t].parameters(), heads[t], strict=True))
