import pytest
import torch
import torch.nn.functional as F

from mtlkit.errors import UserError
from mtlkit.models import CrossStitch, CrossStitchUnit, count_parameters
from mtlkit.train import TrainConfig
from mtlkit.train.optim import make_optimizer, param_groups
from mtlkit.weighting import PCGrad
from mtlkit.weighting.gradnorm import last_shared_layer
from mtlkit.weighting.pcgrad import project_conflicting


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


def reaches(loss: torch.Tensor, parameters) -> list[bool]:
    grads = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
    return [g is not None and bool(g.abs().sum() > 0) for g in grads]


@pytest.mark.parametrize("skip_last", [False, True])
def test_shared_parameters_are_those_every_task_reaches(make_backbone, images, tasks, skip_last):
    model = CrossStitch(make_backbone, tasks, skip_last=skip_last)
    shared = model.shared_parameters()
    shared_ids = {id(p) for p in shared}
    out = model(images)
    everything = list(model.parameters())
    reached = {t: reaches(out[t].square().mean(), everything) for t in tasks}
    for i, p in enumerate(everything):
        by_all = all(reached[t][i] for t in tasks)
        assert (id(p) in shared_ids) == by_all  # shared: reached by every task; the rest by one task
        assert any(reached[t][i] for t in tasks)


def test_shared_parameters_in_forward_order_last_unit_last(make_backbone, tasks):
    model = CrossStitch(make_backbone, tasks)
    fine, coarse = model.columns["fine"], model.columns["coarse"]
    expected = []
    for depth, unit in enumerate(model.units):
        expected += [*fine.stages[depth].parameters(), *coarse.stages[depth].parameters(), unit.alpha]
    assert [id(p) for p in model.shared_parameters()] == [id(p) for p in expected]
    assert last_shared_layer(model.shared_parameters()) is model.units[-1].alpha  # GradNorm's layer


def test_counts_keep_the_columns_per_task_and_the_alphas_shared(make_backbone, tasks):
    model = CrossStitch(make_backbone, tasks)
    counts = count_parameters(model)
    assert counts["shared"] == 4 * sum(make_backbone().stage_dims)
    assert counts["shared"] + counts["fine"] + counts["coarse"] == counts["total"]
    assert counts["total"] == sum(p.numel() for p in model.parameters())


def flat_grad(loss: torch.Tensor, parameters) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, parameters, retain_graph=True)])


def test_pcgrad_projects_the_column_gradients_of_conflicting_tasks(make_conv, images):
    torch.manual_seed(0)
    model = CrossStitch(make_conv, {"a": 3, "b": 3}, init_self=0.5)  # both columns see the same mixture
    model.heads["b"].load_state_dict(model.heads["a"].state_dict())  # so the outputs agree too

    def losses():
        out = model(images)
        return {"a": out["a"][:, 0].mean(), "b": out["b"][:, 1].mean() - out["b"][:, 0].mean()}

    columns = [p for column in model.columns.values() for p in column.stages.parameters()]
    on_columns = [flat_grad(loss, columns) for loss in losses().values()]
    assert (on_columns[0] @ on_columns[1]).item() < 0  # the tasks conflict on the columns
    shared = model.shared_parameters()
    projected = project_conflicting(
        torch.stack([flat_grad(v, shared) for v in losses().values()]), [[1], [0]]
    )
    expected = dict(
        zip(map(id, shared), projected.sum(dim=0).split([p.numel() for p in shared]), strict=True)
    )
    PCGrad(["a", "b"]).backward(losses(), shared)
    got = torch.cat([p.grad.reshape(-1) for p in columns])
    assert torch.allclose(got, torch.cat([expected[id(p)] for p in columns]), atol=1e-6)
    assert not torch.allclose(got, on_columns[0] + on_columns[1], atol=1e-4)  # not the plain sum


def test_adamw_at_the_cli_rate_moves_alphas_by_ten_times_lr(make_conv, images, tasks):
    torch.manual_seed(0)
    model = CrossStitch(make_conv, tasks)  # alpha_lr_mult by optimiser: 10 for AdamW
    lr = 2e-3  # the CLI's default AdamW rate
    groups = param_groups(model, None, lr, weight_decay=5e-4, optimizer="adamw")
    recipe = TrainConfig(optimizer="adamw", lr=lr, weight_decay=5e-4)
    optimizer = make_optimizer(recipe, groups, torch.device("cpu"))
    labels = torch.arange(6) % 2
    start = [a.clone() for a in model.alphas()]
    for step in range(4):
        optimizer.zero_grad()
        sum(F.cross_entropy(o, labels % o.shape[1]) for o in model(images).values()).backward()
        grads = [unit.alpha.grad.clone() for unit in model.units]
        before = model.alphas()
        optimizer.step()
        if step == 0:  # Adam's first step is lr * g / (|g| + eps): lr * 10 = 0.02 wherever g is not ~0
            for old, new, grad in zip(before, model.alphas(), grads, strict=True):
                moved = (new - old).abs()[grad.abs() > 1e-5]
                assert torch.allclose(moved, torch.full_like(moved, 0.02), rtol=1e-3)
    drift = max((new - old).abs().max().item() for old, new in zip(start, model.alphas(), strict=True))
    assert drift <= 4 * 0.02 * 1.01  # not ~0.2 per step as with the SGD multiplier of 100


@pytest.mark.parametrize(
    ("alpha_lr_mult", "optimizer", "multiplier"),
    [
        (None, "sgd", 100.0),
        (None, "adamw", 10.0),
        (None, "adam", 10.0),
        (None, None, 10.0),
        (3.0, "sgd", 3.0),
    ],
)
def test_alpha_multiplier_by_optimiser(make_conv, tasks, alpha_lr_mult, optimizer, multiplier):
    model = CrossStitch(make_conv, tasks, alpha_lr_mult=alpha_lr_mult)
    assert model.param_groups(0.01, optimizer=optimizer)[1]["lr"] == pytest.approx(0.01 * multiplier)
    groups = param_groups(model, None, 0.01, 0.0, optimizer=optimizer)
    alphas = [g for g in groups if g.get("name") == "alphas"]
    assert [g["lr"] for g in alphas] == [pytest.approx(0.01 * multiplier)]
    assert model.param_groups(0.01)[1]["lr"] == pytest.approx(0.01 * (alpha_lr_mult or 10.0))


def test_backbone_without_stages_is_a_user_error(tasks):
    from torch import nn

    class Flat(nn.Linear):
        num_features = 3

    with pytest.raises(UserError, match="stages"):
        CrossStitch(lambda: Flat(3, 3), tasks)


def test_bad_init_self_is_a_user_error(make_conv, tasks):
    with pytest.raises(UserError):
        CrossStitch(make_conv, tasks, init_self=1.5)
