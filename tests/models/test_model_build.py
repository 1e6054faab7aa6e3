import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models import CrossStitch, HardSharing, SingleTask, SoftSharing, archs, build, count_parameters

TASKS = {"fine": 10, "coarse": 2}
TINY_VIT = {"embed_dim": 32, "depth": 2, "num_heads": 2, "drop_path_rate": 0.0}


def test_archs():
    assert archs() == ["single", "hard", "soft", "cross_stitch"]


@pytest.mark.parametrize(
    ("arch", "cls", "tasks"),
    [
        ("single", SingleTask, {"fine": 10}),
        ("hard", HardSharing, TASKS),
        ("soft", SoftSharing, TASKS),
        ("cross_stitch", CrossStitch, TASKS),
    ],
)
def test_build_each_arch_on_tiny_cnn(arch, cls, tasks):
    model = build(arch, "tiny_cnn", tasks, backbone_kwargs={"width": 4})
    assert isinstance(model, cls) and model.tasks == tasks
    out = model(torch.randn(2, 3, 32, 32))
    assert {t: o.shape for t, o in out.items()} == {t: (2, k) for t, k in tasks.items()}
    counts = count_parameters(model)
    assert sum(v for k, v in counts.items() if k != "total") == counts["total"]


def test_build_passes_arch_options_and_head():
    model = build("cross_stitch", "tiny_cnn", TASKS, head="seed", init_self=0.5, alpha_lr_mult=10.0)
    assert model.alpha_lr_mult == 10.0 and model.alphas()[0][0, 1, 0].item() == 0.5
    assert isinstance(model.trunks["fine"][0], nn.Linear) and model.trunks["fine"][0].out_features == 2048
    assert build("soft", "tiny_cnn", TASKS, coupling=0.25).coupling == 0.25


@pytest.mark.parametrize(
    ("name", "kwargs"), [("vit_tiny", TINY_VIT), ("resnet18", {}), ("tiny_cnn", {"width": 4})]
)
def test_cross_stitch_identity_on_real_backbones_equals_independent_columns(name, kwargs):
    model = build("cross_stitch", name, TASKS, backbone_kwargs=kwargs).eval()
    for unit in model.units:
        unit.set_identity()
    images = torch.randn(2, 3, 32, 32)
    out = model(images)
    for task in TASKS:
        column = model.heads[task](model.columns[task](images))
        assert torch.equal(out[task], column)


def test_build_accepts_a_module_or_a_factory():
    from mtlkit.backbones import create

    backbone = create("tiny_cnn", width=4)
    assert build("hard", backbone, TASKS).backbone is backbone
    soft = build("soft", lambda: create("tiny_cnn", width=4), TASKS)
    assert soft.regularizer().item() == 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("mtan", "tiny_cnn", TASKS), {}, "cross_stitch, hard, single, soft"),
        (("single", "tiny_cnn", TASKS), {}, "exactly one task"),
        (("hard", "tiny_cnn", TASKS), {"coupling": 1.0}, "has no option .coupling.; valid options: none"),
        (("soft", "tiny_cnn", TASKS), {"couplin": 1.0}, r"no option .couplin.*did you mean .coupling.\?"),
        (("hard", "not_a_backbone", TASKS), {}, "tiny_cnn"),
        (("hard", 3, TASKS), {}, "backbone must be"),
    ],
)
def test_build_errors(args, kwargs, match):
    with pytest.raises(UserError, match=match):
        build(*args, **kwargs)
