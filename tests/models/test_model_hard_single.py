import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models import HardSharing, SingleTask, count_parameters


def n(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_hard_sharing_returns_logits_per_task(make_backbone, images, tasks):
    model = HardSharing(make_backbone(), tasks)
    out = model(images)
    assert set(out) == set(tasks)
    assert out["fine"].shape == (6, 5) and out["coarse"].shape == (6, 2)


def test_hard_sharing_uses_the_backbone_object_itself(make_conv, images, tasks):
    backbone = make_conv()
    model = HardSharing(backbone, tasks)
    assert model.backbone is backbone
    with torch.no_grad():
        backbone.stages[0][0].weight.zero_()  # a change through the original object shows in the model
    assert torch.equal(model.backbone.stages[0][0].weight, torch.zeros_like(backbone.stages[0][0].weight))
    ids = {id(p) for p in backbone.parameters()}
    assert ids <= {id(p) for p in model.shared_parameters()}


def test_hard_sharing_heads_see_the_same_features(make_conv, images, tasks):
    model = HardSharing(make_conv(), tasks).eval()
    features = model.backbone(images)
    out = model(images)
    assert torch.allclose(out["fine"], model.heads["fine"](features))
    assert torch.allclose(out["coarse"], model.heads["coarse"](features))


def test_shared_parameters_in_forward_order_trunk_last(make_conv, tasks):
    model = HardSharing(make_conv(), tasks, head="seed")
    shared = model.shared_parameters()
    assert shared[0] is model.backbone.stages[0][0].weight
    assert shared[-2] is model.trunk[0].weight and shared[-1] is model.trunk[0].bias


def test_count_parameters_hard_sharing_adds_up(make_backbone, tasks):
    model = HardSharing(make_backbone(), tasks, head="mlp")
    counts = count_parameters(model)
    assert counts["shared"] == n(model.backbone)
    assert counts["fine"] == model.backbone.num_features * 256 + 256 + 256 * 5 + 5
    assert counts["shared"] + counts["fine"] + counts["coarse"] == counts["total"] == n(model)


def test_count_parameters_linear_heads_by_hand(make_conv, tasks):
    counts = count_parameters(HardSharing(make_conv(), tasks))
    backbone = (3 * 9 * 8 + 8 + 2 * 8) + (8 * 9 * 16 + 16 + 2 * 16)
    assert counts == {
        "shared": backbone,
        "fine": 16 * 5 + 5,
        "coarse": 16 * 2 + 2,
        "total": backbone + 85 + 34,
    }


def test_single_task_has_one_key_and_nothing_shared(make_backbone, images):
    model = SingleTask(make_backbone(), "fine", 5)
    assert list(model(images)) == ["fine"] and model(images)["fine"].shape == (6, 5)
    assert model.tasks == {"fine": 5} and model.shared_parameters() == []
    assert count_parameters(model) == {"shared": 0, "fine": n(model), "total": n(model)}


def test_count_parameters_of_a_plain_module():
    assert count_parameters(nn.Linear(3, 2)) == {"total": 8}


@pytest.mark.parametrize("tasks", [{}, {"a": 0}, {"a.b": 2}, {"a": 2.5}, ["a", "b"]])
def test_bad_tasks_raise_user_error(make_conv, tasks):
    with pytest.raises(UserError):
        HardSharing(make_conv(), tasks)


def test_backbone_without_protocol_raises_user_error():
    with pytest.raises(UserError, match="num_features"):
        HardSharing(nn.Linear(3, 3), {"a": 2})


@pytest.mark.parametrize("name", ["shared", "total", "coarse_from_fine"])
def test_reserved_task_names_raise_user_error(make_conv, name):
    with pytest.raises(UserError, match="reserved"):
        HardSharing(make_conv(), {name: 2, "fine": 5})
