import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.models import CrossStitch, CrossStitchUnit, count_parameters


def independent(model: CrossStitch, task: str, images: torch.Tensor) -> torch.Tensor:
    """The task's column run on its own: backbone forward, trunk, head."""
    return model.heads[task](model.trunks[task](model.columns[task](images)))


def test_unit_initial_values():
    unit = CrossStitchUnit(3, channels=4, init_self=0.8)
    assert unit.alpha.shape == (3, 3, 4)
    expected = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    assert torch.allclose(unit.alpha[:, :, 2], expected)
    assert CrossStitchUnit(2, 4, per_channel=False).alpha.shape == (2, 2, 1)


def test_unit_mixes_by_hand():
    unit = CrossStitchUnit(2, channels=3, init_self=0.9)
    x1, x2 = torch.ones(1, 3, 2, 2), torch.full((1, 3, 2, 2), 2.0)
    out1, out2 = unit([x1, x2])
    assert torch.allclose(out1, torch.full_like(x1, 0.9 + 0.2))
    assert torch.allclose(out2, torch.full_like(x1, 0.1 + 1.8))


@pytest.mark.parametrize(
    ("shape", "channel"),
    [((2, 4, 3, 3), (slice(None), 2)), ((2, 5, 4), (..., 2)), ((2, 4), (..., 2))],
    ids=["conv", "tokens", "features"],
)
def test_unit_alpha_is_per_channel(shape, channel):
    unit = CrossStitchUnit(2, channels=4, init_self=1.0)
    with torch.no_grad():
        unit.alpha[0, 1, 2] = 1.0  # only channel 2 of task 0 takes in task 1
    x1, x2 = torch.randn(shape), torch.randn(shape)
    out1, out2 = unit([x1, x2])
    expected = x1.clone()
    expected[channel] += x2[channel]
    assert torch.equal(out1, expected) and torch.equal(out2, x2)


def test_model_init_values_and_alphas(make_backbone, tasks):
    model = CrossStitch(make_backbone, tasks, init_self=0.9)
    alphas = model.alphas()
    dims = make_backbone().stage_dims
    assert [a.shape for a in alphas] == [(2, 2, d) for d in dims]  # a unit after every stage
    assert torch.allclose(alphas[0][:, :, 0], torch.tensor([[0.9, 0.1], [0.1, 0.9]]))
    assert len(CrossStitch(make_backbone, tasks, skip_last=True).alphas()) == len(dims) - 1


def test_identity_alphas_equal_independent_columns_exactly(make_backbone, images, tasks):
    model = CrossStitch(make_backbone, tasks, head="mlp").eval()
    for unit in model.units:
        unit.set_identity()
    out = model(images)
    for task in tasks:
        assert torch.equal(out[task], independent(model, task, images))


def test_default_alphas_mix_the_columns(make_backbone, images, tasks):
    model = CrossStitch(make_backbone, tasks).eval()
    assert not torch.allclose(model(images)["fine"], independent(model, "fine", images))


def test_alpha_param_group_gets_the_lr_multiplier(make_conv, images, tasks):
    model = CrossStitch(make_conv, tasks, alpha_lr_mult=100.0)
    groups = model.param_groups(0.01)
    assert [g["lr"] for g in groups] == [0.01, 1.0] and groups[1]["weight_decay"] == 0.0
    grouped = [id(p) for g in groups for p in g["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())
    optimizer = torch.optim.SGD(groups)
    before = [a.clone() for a in model.alphas()]
    sum(o.square().mean() for o in model(images).values()).backward()
    grads = [unit.alpha.grad.clone() for unit in model.units]
    optimizer.step()
    for old, new, grad in zip(before, model.alphas(), grads, strict=True):
        assert torch.allclose(new, old - 1.0 * grad)


def test_shared_parameters_are_the_alphas_and_counts_add_up(make_backbone, tasks):
    model = CrossStitch(make_backbone, tasks)
    assert [id(p) for p in model.shared_parameters()] == [id(u.alpha) for u in model.units]
    counts = count_parameters(model)
    assert counts["shared"] == 4 * sum(make_backbone().stage_dims)
    assert counts["shared"] + counts["fine"] + counts["coarse"] == counts["total"]
    assert counts["total"] == sum(p.numel() for p in model.parameters())


def test_backbone_without_stages_is_a_user_error(tasks):
    from torch import nn

    class Flat(nn.Linear):
        num_features = 3

    with pytest.raises(UserError, match="stages"):
        CrossStitch(lambda: Flat(3, 3), tasks)


def test_bad_init_self_is_a_user_error(make_conv, tasks):
    with pytest.raises(UserError):
        CrossStitch(make_conv, tasks, init_self=1.5)
