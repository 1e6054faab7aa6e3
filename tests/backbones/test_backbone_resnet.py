import pytest
import torch

from mtlkit.backbones import create
from mtlkit.errors import UserError

# torchvision's published totals minus the 1000-class fc (in*1000 + 1000), then the stem swap:
# the cifar stem replaces the 7x7 conv (3*64*49 = 9408) by a 3x3 one (3*64*9 = 1728).
RESNET18_IMAGENET = 11_689_512 - (512 * 1000 + 1000)
RESNET152_IMAGENET = 60_192_808 - (2048 * 1000 + 1000)
STEM_SAVING = 3 * 64 * 49 - 3 * 64 * 9


def count(model):
    return sum(p.numel() for p in model.parameters())


def map_sizes(model):
    x, sizes = torch.randn(1, 3, 32, 32), []
    with torch.no_grad():
        for stage in model.eval().stages:
            x = stage(x)
            sizes.append(x.shape[-1])
    return sizes


def test_resnet18_parameter_counts():
    assert count(create("resnet18", stem="imagenet")) == RESNET18_IMAGENET == 11_176_512
    assert count(create("resnet18")) == RESNET18_IMAGENET - STEM_SAVING


def test_resnet152_parameter_counts(built):
    assert count(built("resnet152")) == RESNET152_IMAGENET - STEM_SAVING == 58_136_128
    assert count(create("resnet152", stem="imagenet")) == RESNET152_IMAGENET


def test_cifar_stem_keeps_resolution_and_ends_at_4x4():
    model = create("resnet18")
    assert map_sizes(model) == [32, 32, 16, 8, 4]
    assert model.stages[0][0].kernel_size == (3, 3) and model.stages[0][0].stride == (1, 1)


def test_imagenet_stem_shrinks_32x32_to_1x1(built):
    assert map_sizes(create("resnet18", stem="imagenet")) == [8, 8, 4, 2, 1]
    assert map_sizes(create("resnet152", stem="imagenet"))[-1] == 1
    assert map_sizes(built("resnet152"))[-1] == 4


def test_stage_dims():
    assert create("resnet18").stage_dims == [64, 64, 128, 256, 512]
    assert create("resnet152", stem="imagenet").stage_dims == [64, 256, 512, 1024, 2048]


def test_unknown_stem_lists_choices():
    with pytest.raises(UserError, match="stem must be one of cifar, imagenet; got 'tiny'"):
        create("resnet18", stem="tiny")


def test_unknown_option_lists_stem():
    with pytest.raises(UserError, match=r"no option 'depth'; valid options: stem='cifar'"):
        create("resnet152", depth=50)
