import pytest
import torch

from mtlkit.capstone import presets
from mtlkit.capstone.grid import MODES, plan
from mtlkit.errors import UserError


def test_quick_grid_is_backbones_times_modes_with_deterministic_names():
    runs = plan(presets.get("quick"))  # three seeds by default: paired intervals need several
    assert [r.name for r in runs] == [
        f"shapes-{b}-{m}-{'equal' if m == 'mtl' else 'none'}-s{s}"
        for b in ("cnn", "vit")
        for s in (0, 1, 2)
        for m in MODES
    ]


def test_modes_set_architecture_tasks_and_weighting():
    runs = {r.mode: r.config for r in plan(presets.get("seed"), datasets=["cifar10"], backbones=["vit"])}
    assert (runs["stl_fine"].arch, runs["stl_fine"].tasks) == ("single", ("fine",))
    assert (runs["stl_coarse"].arch, runs["stl_coarse"].tasks) == ("single", ("coarse",))
    assert (runs["mtl"].arch, runs["mtl"].tasks) == ("hard", ("fine", "coarse"))
    assert runs["mtl"].weighting == "static" and runs["mtl"].weighting_kwargs == {"gamma": 0.5}
    assert runs["stl_fine"].weighting == "equal"


def test_seed_preset_is_the_studys_setup():
    configs = {(r.backbone, r.mode): r.config for r in plan(presets.get("seed"), datasets=["cifar100"])}
    vit, resnet = configs[("vit", "mtl")], configs[("resnet152", "mtl")]
    # class_report.txt, Figures 8 and 14: batch 256 won for the ViT, 128 for ResNet-152
    assert (vit.backbone, vit.train.batch_size, resnet.train.batch_size) == ("vit_seed", 256, 128)
    assert resnet.backbone_kwargs == {"stem": "imagenet"}
    assert (vit.train.optimizer, vit.train.lr, vit.train.epochs, vit.train.augment) == (
        "adam",
        1e-3,
        20,
        False,
    )
    assert vit.head == {"type": "seed", "dropout": 0.2}  # GELU, SeedHead's default
    assert resnet.head == {"type": "seed", "activation": "relu", "dropout": 0.0}  # its ResNet notebooks'


def test_seed_preset_heads_are_the_study_notebooks():
    from torch import nn

    from mtlkit.experiment import build_model

    configs = {
        r.backbone: r.config for r in plan(presets.get("seed"), datasets=["cifar10"]) if r.mode == "mtl"
    }
    for label, activation, dropout in (("vit", nn.GELU, 0.2), ("resnet152", nn.ReLU, None)):
        config = configs[label]
        with torch.device("meta"):
            model = build_model(config, {"fine": 10, "coarse": 2})
        head_modules = [*model.trunk.modules(), *model.heads.modules()]
        assert {type(m) for m in head_modules if isinstance(m, nn.GELU | nn.ReLU)} == {activation}
        assert sorted({m.p for m in head_modules if isinstance(m, nn.Dropout)}) == (
            [dropout] if dropout else []
        )


def test_seeds_weightings_and_overrides_multiply_the_grid():
    runs = plan(
        presets.get("quick"),
        backbones=["cnn"],
        seeds=[0, 1],
        weightings=["equal", "dwa"],
        overrides={"epochs": 1},
    )
    assert len(runs) == 2 * (2 + 2)  # per seed: 2 STL + 2 MTL weightings
    assert {r.config.train.epochs for r in runs} == {1}
    assert {r.config.seed for r in runs} == {0, 1}
    dwa = [r for r in runs if r.weighting == "dwa"]
    assert dwa and all(r.config.weighting == "dwa" and r.config.weighting_kwargs == {} for r in dwa)


def test_one_backbone_grid_is_stl_on_each_given_task_then_mtl_on_all():
    from mtlkit.experiment import RunConfig
    from mtlkit.train_config import TrainConfig

    config = RunConfig(
        tasks=("coarse", "fine"),
        weighting="static",
        weighting_kwargs={"gamma": 0.3},
        backbone_kwargs={"width": 8},
        train=TrainConfig(seed=4, lr=0.01),
    )
    runs = plan(presets.one_backbone(config))
    assert [r.name for r in runs] == [
        "shapes-tiny_cnn-stl_coarse-none-s4",
        "shapes-tiny_cnn-stl_fine-none-s4",
        "shapes-tiny_cnn-mtl-static-s4",
    ]
    assert [(r.config.arch, r.config.tasks, r.config.weighting) for r in runs] == [
        ("single", ("coarse",), "equal"),
        ("single", ("fine",), "equal"),
        ("hard", ("coarse", "fine"), "static"),
    ]
    assert runs[-1].config == config  # the MTL run is the config itself
    assert {r.config.train for r in runs} == {config.train}


def test_a_weighting_does_not_inherit_another_weightings_options():
    runs = plan(presets.get("seed"), datasets=["cifar10"], backbones=["vit"], weightings=["dwa"])
    assert [r.config.weighting_kwargs for r in runs if r.mode == "mtl"] == [{}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"datasets": ["mnist"]}, "unknown dataset 'mnist'"),
        ({"backbones": ["resnet152"]}, "unknown backbone 'resnet152'; choose one of: cnn, vit"),
        ({"weightings": ["best"]}, "unknown weighting 'best'"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"seeds": [1, 1]}, "seeds must be a non-empty list"),
        ({"backbones": ["cnn", "cnn"]}, "listed twice"),
    ],
)
def test_bad_choices_are_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message):
        plan(presets.get("quick"), **kwargs)


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(UserError, match="choose one of: modern_small, quick, seed, strong"):
        presets.get("fast")


def test_every_preset_builds_valid_configs():
    for preset in presets.PRESETS.values():
        runs = plan(preset)
        assert len(runs) == len(preset.datasets) * len(preset.backbones) * len(MODES) * len(preset.seeds)
